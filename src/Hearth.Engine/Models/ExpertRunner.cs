using System.Runtime.CompilerServices;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>Runs a mixture-of-experts FFN over a batch: router logits for every token, softmax and top-k on the host
/// (a few floats per token), then the batch's tokens grouped by expert so each active expert runs one gather, three
/// matmuls over just its tokens and one weighted scatter-add into the residual stream. A batch of 16 decode tokens
/// thus reads each active expert's weights once, not once per token. On a backend with <see cref="IGroupedMatMul"/>
/// the active experts' products run together (two parallel passes per wave instead of three per expert: at decode,
/// gpt-oss's 4 experts × 3 matrices were 12 fork-joins per layer). Buffers grow with the batch and are reused.</summary>
internal sealed class ExpertRunner(IBackend backend, int embedding) : IDisposable
{
    private Tensor? _logits, _x, _gate, _up, _y, _sharedGate, _sharedUp, _sharedY, _sharedScore;
    private int _capacity, _experts, _ff, _sharedFf, _waveRows;
    private MatMulPart[] _parts = [];

    /// <summary>(token, expert) rows a wave of <see cref="RunGrouped"/> holds at most (more only when one expert alone
    /// has more tokens): bounds the expert buffers of a long prompt (512 rows of gpt-oss: 4 × 5.9 MB).</summary>
    private const int MaxWaveRows = 512;
    private float[] _hostLogits = [], _weights = [], _sortedWeights = [];
    private int[] _selected = [], _counts = [], _offsets = [], _sortedTokens = [], _identity = [];

    /// <summary>x[t] += Σ over the token's top-k experts of weight · expert(norm[t]) (+ the gated shared expert).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddTo(ExpertWeights w, Tensor norm, Tensor x, int t)
    {
        Ensure(w, t);
        var b = backend;
        int n = w.Count, k = w.Used;
        b.MatMul(norm, w.Router, _logits!, t);
        if (w.RouterBias != null) b.AddBias(_logits!, w.RouterBias, t);
        b.Download(_logits!, 0, t, _hostLogits.AsSpan(0, t * n));
        Route(w, t);

        if (backend is IGroupedMatMul grouped) RunGrouped(grouped, w, norm, x);
        else RunEach(w, norm, x);

        if (w.SharedGate is null) return;
        b.MatMul(norm, w.SharedGate, _sharedGate!, t);
        b.MatMul(norm, w.SharedUp!, _sharedUp!, t);
        b.SwiGlu(_sharedGate!, _sharedUp!, _sharedGate!, t);
        b.MatMul(_sharedGate!, w.SharedDown!, _sharedY!, t);
        var factors = _weights.AsSpan(0, t);
        if (w.SharedGateInput is { } gateInput)
        {
            b.MatMul(norm, gateInput, _sharedScore!, t);
            b.Download(_sharedScore!, 0, t, factors);
            for (int i = 0; i < t; i++) factors[i] = 1f / (1f + MathF.Exp(-factors[i]));
        }
        else factors.Fill(1f);
        b.AddScaledRows(_sharedY!, _identity.AsSpan(0, t), factors, x);
    }

    /// <summary>Each active expert on its own: gather its tokens, gate, up, SwiGLU, down, scatter-add.</summary>
    private void RunEach(ExpertWeights w, Tensor norm, Tensor x)
    {
        var b = backend;
        for (int e = 0; e < w.Count; e++)
        {
            int count = _counts[e];
            if (count == 0) continue;
            var tokens = _sortedTokens.AsSpan(_offsets[e], count);
            b.GatherRows(norm, tokens, _x!);
            b.MatMul(_x!, w.Gate[e], _gate!, count);
            b.MatMul(_x!, w.Up[e], _up!, count);
            if (w.GateBias != null) b.AddBias(_gate!, w.GateBias[e], count);
            if (w.UpBias != null) b.AddBias(_up!, w.UpBias[e], count);
            Activate(w, count);
            b.MatMul(_gate!, w.Down[e], _y!, count);
            if (w.DownBias != null) b.AddBias(_y!, w.DownBias[e], count);
            b.AddScaledRows(_y!, tokens, _sortedWeights.AsSpan(_offsets[e], count), x);
        }
    }

    /// <summary>gate = SwiGLU(gate, up) over the first <paramref name="rows"/> rows, clamped where the model says so (gpt-oss).</summary>
    private void Activate(ExpertWeights w, int rows)
    {
        if (w.SwiGluLimit > 0) backend.SwiGluOai(_gate!, _up!, _gate!, rows, w.SwiGluAlpha, w.SwiGluLimit);
        else backend.SwiGlu(_gate!, _up!, _gate!, rows);
    }

    /// <summary>The active experts in waves of at most <see cref="_waveRows"/> (token, expert) rows, sorted by expert:
    /// one gather, all gate and up products in one grouped matmul (each expert's tokens quantized once for both), one
    /// SwiGLU, all downs in a second grouped matmul, one scatter-add. Rows are added to x in the order
    /// <see cref="RunEach"/> adds them (by expert, then token), so both give the same bits.</summary>
    private void RunGrouped(IGroupedMatMul grouped, ExpertWeights w, Tensor norm, Tensor x)
    {
        var b = backend;
        for (int e = 0, n = w.Count; e < n;)
        {
            int first = e, start = _offsets[e], rows = 0;
            while (e < n && (rows == 0 || rows + _counts[e] <= _waveRows)) rows += _counts[e++];
            if (rows == 0) continue;
            var tokens = _sortedTokens.AsSpan(start, rows);
            b.GatherRows(norm, tokens, _x!);
            int parts = 0;
            for (int i = first; i < e; i++)
            {
                if (_counts[i] == 0) continue;
                int row = _offsets[i] - start;
                _parts[parts++] = new MatMulPart(_x!, w.Gate[i], _gate!, row, _counts[i], w.GateBias?[i]);
                _parts[parts++] = new MatMulPart(_x!, w.Up[i], _up!, row, _counts[i], w.UpBias?[i]);
            }
            grouped.MatMuls(_parts.AsSpan(0, parts));
            Activate(w, rows);
            parts = 0;
            for (int i = first; i < e; i++)
                if (_counts[i] != 0)
                    _parts[parts++] = new MatMulPart(_gate!, w.Down[i], _y!, _offsets[i] - start, _counts[i], w.DownBias?[i]);
            grouped.MatMuls(_parts.AsSpan(0, parts));
            b.AddScaledRows(_y!, tokens, _sortedWeights.AsSpan(start, rows), x);
        }
    }

    /// <summary>Softmax over each token's router logits, its top-k experts (lowest index first among equals) with their
    /// probabilities (renormalised to sum 1 when asked), then the (token, weight) pairs sorted by expert.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Route(ExpertWeights w, int t)
    {
        int n = w.Count, k = w.Used;
        Array.Clear(_counts, 0, n);
        for (int i = 0; i < t; i++)
        {
            var p = _hostLogits.AsSpan(i * n, n);
            float max = float.NegativeInfinity;
            foreach (float v in p) max = MathF.Max(max, v);
            double sum = 0;
            for (int e = 0; e < n; e++) sum += p[e] = MathF.Exp(p[e] - max);
            float inv = (float)(1.0 / sum);
            for (int e = 0; e < n; e++) p[e] *= inv;

            float picked = 0;
            for (int j = 0; j < k; j++)
            {
                int best = -1;
                for (int e = 0; e < n; e++)
                    if (p[e] >= 0 && (best < 0 || p[e] > p[best])) best = e;
                _selected[i * k + j] = best;
                _weights[i * k + j] = p[best];
                picked += p[best];
                p[best] = -1; // taken
                _counts[best]++;
            }
            if (w.NormalizeWeights)
                for (int j = 0; j < k; j++) _weights[i * k + j] /= picked;
        }
        for (int e = 0, offset = 0; e < n; e++) { _offsets[e] = offset; offset += _counts[e]; }
        Array.Clear(_counts, 0, n);
        for (int i = 0; i < t * k; i++)
        {
            int e = _selected[i], at = _offsets[e] + _counts[e]++;
            _sortedTokens[at] = i / k;
            _sortedWeights[at] = _weights[i];
        }
    }

    private void Ensure(ExpertWeights w, int t)
    {
        int ff = w.FeedForwardLength, sharedFf = w.SharedGate?.Rows ?? 0;
        int waveRows = Math.Max(t, Math.Min(t * w.Used, MaxWaveRows));
        if (t <= _capacity && w.Count <= _experts && ff <= _ff && sharedFf <= _sharedFf && waveRows <= _waveRows) return;
        Dispose();
        _capacity = Math.Max(t, _capacity);
        _experts = Math.Max(w.Count, _experts);
        _ff = Math.Max(ff, _ff);
        _sharedFf = Math.Max(sharedFf, _sharedFf);
        _waveRows = Math.Max(waveRows, _waveRows);
        int c = _capacity;
        _logits = backend.Allocate(c, _experts);
        _x = backend.Allocate(_waveRows, embedding);
        _gate = backend.Allocate(_waveRows, _ff);
        _up = backend.Allocate(_waveRows, _ff);
        _y = backend.Allocate(_waveRows, embedding);
        _parts = new MatMulPart[2 * _experts];
        if (_sharedFf > 0)
        {
            _sharedGate = backend.Allocate(c, _sharedFf);
            _sharedUp = backend.Allocate(c, _sharedFf);
            _sharedY = backend.Allocate(c, embedding);
            _sharedScore = backend.Allocate(c, 1);
        }
        _hostLogits = new float[c * _experts];
        _selected = new int[c * _experts];
        _weights = new float[c * _experts];
        _sortedTokens = new int[c * _experts];
        _sortedWeights = new float[c * _experts];
        _counts = new int[_experts];
        _offsets = new int[_experts];
        _identity = Enumerable.Range(0, c).ToArray();
    }

    public void Dispose()
    {
        foreach (var tensor in new[] { _logits, _x, _gate, _up, _y, _sharedGate, _sharedUp, _sharedY, _sharedScore }) tensor?.Dispose();
        _logits = _x = _gate = _up = _y = _sharedGate = _sharedUp = _sharedY = _sharedScore = null;
    }
}
