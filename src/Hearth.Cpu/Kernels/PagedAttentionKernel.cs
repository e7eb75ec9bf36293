using System.Runtime.CompilerServices;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Causal attention over a paged F32 KV cache. One chunk = one (token, KV head): the token's visible
/// positions (0..p, or the sliding window ending at p) are resolved through its sequence's block table once, then every
/// query head of the GQA group reads the same K and V rows (<see cref="AttentionLoops"/>): scores q·k·scale, softmax,
/// Σ p_i · v_i. Long contexts are dominated by those two loops (decode at 16k reads 16k K and V rows per layer and KV
/// head); when a call has too few chunks for the threads, long rows are split over the sequence
/// (<see cref="AttentionSplit"/>, flash-decoding). Prefill chunks (runs of one sequence's consecutive positions) go to
/// the tiled <see cref="PrefillAttentionKernel"/> in the same parallel pass; this kernel keeps the other rows.</summary>
internal sealed unsafe class PagedAttentionKernel : IParallelJob, IDisposable
{
    private readonly CpuThreadPool _pool;
    private readonly NativeBuffer[] _scratch;
    private readonly AttentionSplit _split = new();
    private readonly PrefillAttentionKernel? _prefill;
    private CpuTensor _q = null!, _k = null!, _v = null!, _o = null!;
    private AttentionParameters _a = null!;

    private readonly CpuIsa _isa;

    /// <param name="tiledPrompts">Whether prefill chunks take the tiled kernel (tests turn it off to compare).</param>
    public PagedAttentionKernel(CpuThreadPool pool, CpuIsa isa, bool tiledPrompts = true)
    {
        _pool = pool;
        _isa = isa;
        if (tiledPrompts) _prefill = new PrefillAttentionKernel(pool.ThreadCount, isa);
        _scratch = new NativeBuffer[pool.ThreadCount];
        for (int i = 0; i < _scratch.Length; i++) _scratch[i] = new NativeBuffer();
    }

    public void Run(CpuTensor q, CpuTensor kCache, CpuTensor vCache, CpuTensor output, AttentionParameters a, int rows)
    {
        if (a.HeadCount % a.KvHeadCount != 0)
            throw new ArgumentException($"head count {a.HeadCount} is not a multiple of KV head count {a.KvHeadCount}");
        _q = q; _k = kCache; _v = vCache; _o = output; _a = a;
        if (_prefill?.Prepare(a, rows, q, output, kCache, vCache, null, null) == true)
        {
            _pool.Run(this, _prefill.Chunks); // this call's prefill runs tiled, its other rows per token
            return;
        }
        _split.Plan(a, rows, _pool.ThreadCount);
        _pool.Run(this, _split.Items);
        if (_split.Active) _split.Combine(_isa, a, output);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int chunk, int thread)
    {
        var a = _a;
        if (_prefill is { Active: true })
        {
            if (!_prefill.TryExecute(chunk, thread, out int row, out int head))
                Whole(row, head, a.FirstVisible(a.Positions[row]), a.Positions[row], thread);
            return;
        }
        int t, kvh, part = 0, parts = 1;
        if (_split.Active) _split.Locate(chunk, out t, out kvh, out part, out parts);
        else { t = chunk / a.KvHeadCount; kvh = chunk % a.KvHeadCount; }
        int pos = a.Positions[t];
        int first = a.FirstVisible(pos);
        if (parts == 1)
        {
            Whole(t, kvh, first, pos, thread);
            return;
        }
        AttentionSplit.Range(first, pos, part, parts, out int start, out int end);
        Part(t, kvh, start, end, thread, _split.Partial(chunk));
    }

    /// <summary>Scores of the token's group heads over positions [start, end), softcapped and ALiBi-biased; returns
    /// the scores (group × n) and the rows' float offsets in the cache.</summary>
    private float* Scores(int t, int kvh, int start, int end, int thread, out long* rows)
    {
        var a = _a;
        int group = a.HeadCount / a.KvHeadCount, hd = a.HeadDim, n = end - start;
        var table = a.Batch.BlockTable(a.TokenSequence[t]);
        if ((end - 1 + a.BlockSize) / a.BlockSize > table.Length)
            throw new InvalidOperationException($"block table of {table.Length} blocks does not cover position {end - 1}");

        // Scratch: group × n scores, then n row offsets (floats from the cache start to this KV head's slice).
        float* scores = (float*)_scratch[thread].Ensure((long)n * group * 4 + (long)n * 8 + 8);
        rows = (long*)(scores + (long)n * group + ((long)n * group & 1));
        long width = _k.Columns, kvOffset = (long)kvh * hd;
        for (int i = 0; i < n; i++)
        {
            int p = start + i;
            rows[i] = ((long)table[p / a.BlockSize] * a.BlockSize + p % a.BlockSize) * width + kvOffset;
        }

        float* q = _q.Row(t) + (long)kvh * group * hd;
        AttentionLoops.Scores(_isa, q, group, hd, _k.Data, rows, n, a.Scale, scores, n);
        if (a.Softcap > 0)
            ElementwiseKernels.Softcap(scores, a.Softcap, (long)n * group);
        if (a.AlibiSlopes is { } slopes)
        {
            int queryPosition = a.QueryPositions[t];
            for (int h = 0; h < group; h++)
            {
                float slope = slopes[kvh * group + h];
                float* s = scores + (long)h * n;
                for (int p = 0; p < n; p++) s[p] -= slope * Math.Abs(queryPosition - (start + p));
            }
        }
        return scores;
    }

    /// <summary>The token's attention output over its visible positions first..pos, normalised, into the output row.</summary>
    private void Whole(int t, int kvh, int first, int pos, int thread)
    {
        var a = _a;
        int group = a.HeadCount / a.KvHeadCount, hd = a.HeadDim, n = pos + 1 - first;
        float* scores = Scores(t, kvh, first, pos + 1, thread, out long* rows);
        float* o = _o.Row(t) + (long)kvh * group * hd;
        float* sinks = a.Sinks is { } sinkWeight ? (float*)sinkWeight.Data + (long)kvh * group : null;
        for (int h = 0; h < group; h++)
        {
            float* s = scores + (long)h * n;
            if (sinks == null) SoftmaxKernel.Run(_isa, s, n);
            else SoftmaxWithSink(s, n, sinks[h]);
            AttentionLoops.WeightedSum(_isa, s, _v.Data, rows, n, o + (long)h * hd, hd, accumulate: false);
        }
    }

    /// <summary>One part [start, end) of a split token: unnormalised Σ e^(s−max) · v per head, with the max and the
    /// exp-sum, into <paramref name="partial"/> (laid out as <see cref="AttentionSplit.Partial"/> says).</summary>
    private void Part(int t, int kvh, int start, int end, int thread, float* partial)
    {
        var a = _a;
        int group = a.HeadCount / a.KvHeadCount, hd = a.HeadDim, n = end - start;
        float* scores = Scores(t, kvh, start, end, thread, out long* rows);
        float* max = partial + (long)group * hd, sum = max + group;
        for (int h = 0; h < group; h++)
        {
            float* s = scores + (long)h * n;
            max[h] = SimdLadder.Aggregate<MaxOperator>(_isa, s, s, n);
            sum[h] = (float)SimdLadder.MapSum<ExpMinusOperator>(_isa, s, max[h], n);
            AttentionLoops.WeightedSum(_isa, s, _v.Data, rows, n, partial + (long)h * hd, hd, accumulate: false);
        }
    }

    /// <summary>Softmax over the scores and one extra sink logit that takes probability mass but has no value row.</summary>
    private static void SoftmaxWithSink(float* s, int n, float sink)
    {
        float max = sink;
        for (int p = 0; p < n; p++) max = MathF.Max(max, s[p]);
        double sum = MathF.Exp(sink - max);
        for (int p = 0; p < n; p++)
        {
            s[p] = MathF.Exp(s[p] - max);
            sum += s[p];
        }
        float inv = (float)(1.0 / sum);
        for (int p = 0; p < n; p++) s[p] *= inv;
    }

    public void Dispose()
    {
        foreach (var b in _scratch) b.Dispose();
        _split.Dispose();
        _prefill?.Dispose();
    }
}
