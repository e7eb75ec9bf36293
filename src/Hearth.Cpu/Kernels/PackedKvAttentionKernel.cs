using System.Runtime.CompilerServices;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Causal paged attention over an F16, Q8_0 or Q4_0 KV cache (<see cref="CpuKvTensor"/>). One chunk = one
/// (token, KV head), as in <see cref="PagedAttentionKernel"/>, but the visible positions are walked in tiles of
/// <see cref="Tile"/>: each tile's K and V slices are dequantised once into per-thread scratch and shared by every
/// query head of the GQA group, and the softmax is online (running max and sum, accumulators rescaled when the max
/// grows), so scratch stays a few tiles whatever the context length; long rows of calls with few chunks are split over
/// the sequence (<see cref="AttentionSplit"/>). Same semantics as the F32 kernel: sliding
/// window, score softcapping, ALiBi and sink logits. Prefill chunks go to the tiled <see cref="PrefillAttentionKernel"/>
/// in the same parallel pass; this kernel keeps the other rows.</summary>
internal sealed unsafe class PackedKvAttentionKernel : IParallelJob, IDisposable
{
    private const int Tile = 64;
    private readonly CpuThreadPool _pool;
    private readonly CpuIsa _isa;
    private readonly NativeBuffer[] _scratch;
    private readonly AttentionSplit _split = new();
    private readonly PrefillAttentionKernel? _prefill;
    private CpuTensor _q = null!, _o = null!;
    private CpuKvTensor _k = null!, _v = null!;
    private AttentionParameters _a = null!;

    /// <param name="tiledPrompts">Whether prefill chunks take the tiled kernel (tests turn it off to compare).</param>
    public PackedKvAttentionKernel(CpuThreadPool pool, CpuIsa isa, bool tiledPrompts = true)
    {
        _pool = pool;
        _isa = isa;
        if (tiledPrompts) _prefill = new PrefillAttentionKernel(pool.ThreadCount, isa);
        _scratch = new NativeBuffer[pool.ThreadCount];
        for (int i = 0; i < _scratch.Length; i++) _scratch[i] = new NativeBuffer();
    }

    public void Run(CpuTensor q, CpuKvTensor kCache, CpuKvTensor vCache, CpuTensor output, AttentionParameters a, int rows)
    {
        if (a.HeadCount % a.KvHeadCount != 0)
            throw new ArgumentException($"head count {a.HeadCount} is not a multiple of KV head count {a.KvHeadCount}");
        if (kCache.Type != vCache.Type) throw new ArgumentException("K and V caches have different element types");
        _q = q; _k = kCache; _v = vCache; _o = output; _a = a;
        if (_prefill?.Prepare(a, rows, q, output, null, null, kCache, vCache) == true)
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
            if (!_prefill.TryExecute(chunk, thread, out int row, out int head)) Token(row, head, thread);
            return;
        }
        int t, kvh, part = 0, parts = 1;
        if (_split.Active) _split.Locate(chunk, out t, out kvh, out part, out parts);
        else { t = chunk / a.KvHeadCount; kvh = chunk % a.KvHeadCount; }
        int group = a.HeadCount / a.KvHeadCount, hd = a.HeadDim;
        int pos = a.Positions[t];
        int first = a.FirstVisible(pos);
        if (parts > 1)
        {
            // A part of a split token: its unnormalised output, max and sum go to the split's partials.
            AttentionSplit.Range(first, pos, part, parts, out int start, out int end);
            float* partial = _split.Partial(chunk);
            Accumulate(t, kvh, start, end, thread, partial, partial + (long)group * hd, partial + (long)group * hd + group);
            return;
        }
        Token(t, kvh, thread);
    }

    /// <summary>The token's whole attention output for one KV head's group, normalised (with the sink, if any).</summary>
    private void Token(int t, int kvh, int thread)
    {
        var a = _a;
        int group = a.HeadCount / a.KvHeadCount, hd = a.HeadDim;
        int pos = a.Positions[t];
        int first = a.FirstVisible(pos);
        float* o = _o.Row(t) + (long)kvh * group * hd;
        float* max = Scratch(thread, group) + TileFloats(group), sum = max + group;
        Accumulate(t, kvh, first, pos + 1, thread, o, max, sum);
        float* sinks = a.Sinks is { } sinkWeight ? (float*)sinkWeight.Data + (long)kvh * group : null;
        for (int h = 0; h < group; h++)
        {
            float total = sum[h];
            float scale = 1;
            if (sinks != null)
            {
                // The sink takes probability mass but adds no value: renormalise against max(running max, sink).
                float top = MathF.Max(max[h], sinks[h]);
                scale = MathF.Exp(max[h] - top);
                total = total * scale + MathF.Exp(sinks[h] - top);
            }
            SimdLadder.Map<ScaleOperator>(_isa, o + h * hd, o + h * hd, scale / total, o + h * hd, hd);
        }
    }

    /// <summary>Per-thread scratch, from its start: K tile, V tile (Tile × hd each), scores (group × Tile), the tile's
    /// row offsets (Tile longs), then the running max and sum (group each) of a whole token at <see cref="TileFloats"/>.</summary>
    private float* Scratch(int thread, int group) => (float*)_scratch[thread].Ensure((TileFloats(group) + 2L * group) * 4);

    private long TileFloats(int group) => 2L * Tile * _a.HeadDim + (long)group * Tile + 2L * Tile;

    /// <summary>o = Σ e^(s − max) · v over positions [start, end) for the token's group heads, with the running max and
    /// exp-sum per head; K and V are dequantised one tile at a time and the softmax is online.</summary>
    private void Accumulate(int t, int kvh, int start, int end, int thread, float* o, float* max, float* sum)
    {
        var a = _a;
        int group = a.HeadCount / a.KvHeadCount, hd = a.HeadDim;
        var table = a.Batch.BlockTable(a.TokenSequence[t]);
        if ((end - 1 + a.BlockSize) / a.BlockSize > table.Length)
            throw new InvalidOperationException($"block table of {table.Length} blocks does not cover position {end - 1}");

        float* kt = Scratch(thread, group);
        float* vt = kt + Tile * hd, s = vt + Tile * hd;
        long* rows = (long*)(s + group * Tile);
        for (int j = 0; j < Tile; j++) rows[j] = (long)j * hd;
        float* q = _q.Row(t) + (long)kvh * group * hd;
        var type = _k.Type;
        bool avx2 = _isa.Use256;
        int offset = kvh * hd;
        new Span<float>(o, group * hd).Clear();
        for (int h = 0; h < group; h++) { max[h] = float.NegativeInfinity; sum[h] = 0; }

        for (int tileStart = start; tileStart < end; tileStart += Tile)
        {
            int m = Math.Min(Tile, end - tileStart);
            for (int j = 0; j < m; j++)
                KvRowCodec.Decode(type, avx2, _k.Row(Slot(table, tileStart + j, a.BlockSize)), offset, hd, kt + j * hd);
            AttentionLoops.Scores(_isa, q, group, hd, kt, rows, m, a.Scale, s, Tile);
            for (int h = 0; h < group; h++)
            {
                float* sh = s + h * Tile;
                if (a.Softcap > 0) ElementwiseKernels.Softcap(sh, a.Softcap, m);
                if (a.AlibiSlopes is { } slopes)
                {
                    float slope = slopes[kvh * group + h];
                    int queryPosition = a.QueryPositions[t];
                    for (int j = 0; j < m; j++) sh[j] -= slope * Math.Abs(queryPosition - (tileStart + j));
                }
                // Online softmax: exponentiate against the running max; rescale what was summed before if it grew.
                float tileMax = SimdLadder.Aggregate<MaxOperator>(_isa, sh, sh, m);
                float newMax = MathF.Max(max[h], tileMax);
                float tileSum = (float)SimdLadder.MapSum<ExpMinusOperator>(_isa, sh, newMax, m);
                if (newMax > max[h] && sum[h] > 0)
                {
                    float correction = MathF.Exp(max[h] - newMax);
                    sum[h] *= correction;
                    SimdLadder.Map<ScaleOperator>(_isa, o + h * hd, o + h * hd, correction, o + h * hd, hd);
                }
                max[h] = newMax;
                sum[h] += tileSum;
            }
            for (int j = 0; j < m; j++)
                KvRowCodec.Decode(type, avx2, _v.Row(Slot(table, tileStart + j, a.BlockSize)), offset, hd, vt + j * hd);
            for (int h = 0; h < group; h++)
                AttentionLoops.WeightedSum(_isa, s + h * Tile, vt, rows, m, o + h * hd, hd, accumulate: true);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(ReadOnlySpan<int> table, int p, int blockSize) => table[p / blockSize] * blockSize + p % blockSize;

    public void Dispose()
    {
        foreach (var b in _scratch) b.Dispose();
        _split.Dispose();
        _prefill?.Dispose();
    }
}
