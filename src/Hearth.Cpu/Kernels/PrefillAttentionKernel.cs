using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Prompt (prefill) attention over the paged KV cache, tiled like flash-attention. Rows of a call that form a
/// run of one sequence at consecutive positions (a prefill chunk) are cut into query blocks; one work item =
/// (query block, KV head): the block's tokens × the GQA group's heads are the rows of a small Q, and the visible keys
/// are walked in tiles of <see cref="KeyTile"/>: each K tile is read once (dequantised through <see cref="KvRowCodec"/>
/// for F16/Q8_0/Q4_0, read from the F32 cache in place) and transposed into scratch, S = Q·Kᵀ and O += P·V are the
/// register-tiled GEMMs of <see cref="AttentionTiles"/>, and the softmax is online (running max and sum per row,
/// rescaled when the max grows). The causal mask and the sliding window are applied per row only where a tile is not
/// wholly visible. Scratch is a few tiles, whatever the context. Semantics equal the per-token kernels
/// (<see cref="PagedAttentionKernel"/>, <see cref="PackedKvAttentionKernel"/>): scale, softcap, ALiBi, sink logits,
/// sliding window. Rows outside such runs (decode rows, short runs) are left to the per-token kernels, which run them
/// in the same parallel pass (<see cref="Leftover"/>).</summary>
internal sealed unsafe class PrefillAttentionKernel : IDisposable
{
    /// <summary>Runs shorter than this go per token: a decode row gains nothing from tiling.</summary>
    public const int MinRun = 4;

    /// <summary>Keys per tile (a multiple of 16, the micro-kernel's width).</summary>
    private const int KeyTile = 64;

    /// <summary>Q rows (tokens × group heads) wanted per block: enough to amortise each K/V tile's conversion and
    /// transpose, few enough that a chunk still gives the threads many items.</summary>
    private const int QueryRows = 64;

    private readonly CpuIsa _isa;
    private readonly NativeBuffer[] _scratch;
    private int[] _blockRow = [], _blockCount = [], _order = [], _cost = [], _leftover = [];
    private int _blocks, _leftoverCount;
    private AttentionParameters _a = null!;
    private CpuTensor _q = null!, _o = null!;
    private CpuTensor? _kF32, _vF32;
    private CpuKvTensor? _kPacked, _vPacked;

    public PrefillAttentionKernel(int threads, CpuIsa isa)
    {
        _isa = isa;
        _scratch = new NativeBuffer[threads];
        for (int i = 0; i < threads; i++) _scratch[i] = new NativeBuffer();
    }

    /// <summary>Whether the current plan has query blocks.</summary>
    public bool Active => _blocks > 0;

    /// <summary>Work items of the current plan: query blocks × KV heads.</summary>
    public int Items => _blocks * _a.KvHeadCount;

    /// <summary>Rows of the current plan left to the per-token kernels.</summary>
    public ReadOnlySpan<int> Leftover => _leftover.AsSpan(0, _leftoverCount);

    /// <summary>Finds the runs of <paramref name="rows"/> rows (one sequence, consecutive positions, at least
    /// <see cref="MinRun"/> long) and cuts them into query blocks, heaviest (most keys) first so uneven items balance.</summary>
    public void Plan(AttentionParameters a, int rows)
    {
        _a = a;
        _blocks = 0;
        _leftoverCount = 0;
        if (_leftover.Length < rows)
        {
            _blockRow = new int[rows]; _blockCount = new int[rows]; _order = new int[rows]; _cost = new int[rows];
            _leftover = new int[rows];
        }
        int group = a.HeadCount / a.KvHeadCount;
        int tokensPerBlock = Math.Max(1, QueryRows / group);
        var positions = a.Positions;
        var sequences = a.TokenSequence;
        for (int t = 0; t < rows;)
        {
            int u = t + 1;
            while (u < rows && sequences[u] == sequences[t] && positions[u] == positions[u - 1] + 1) u++;
            if (u - t >= MinRun)
                for (int b = t; b < u; b += tokensPerBlock)
                {
                    int count = Math.Min(tokensPerBlock, u - b);
                    _blockRow[_blocks] = b;
                    _blockCount[_blocks] = count;
                    _order[_blocks] = _blocks;
                    _cost[_blocks] = -(positions[b + count - 1] + 1 - a.FirstVisible(positions[b]));
                    _blocks++;
                }
            else
                for (int i = t; i < u; i++) _leftover[_leftoverCount++] = i;
            t = u;
        }
        Array.Sort(_cost, _order, 0, _blocks);
    }

    /// <summary>Plans a call over an F32 cache (<paramref name="kF32"/>, <paramref name="vF32"/>) or a packed one and
    /// binds its tensors. False when it has no prefill runs (the per-token kernel takes the whole call); otherwise the
    /// call is <see cref="Chunks"/> chunks of one parallel pass: this kernel's <see cref="Items"/>, then one (token, KV
    /// head) chunk, unsplit, per <see cref="Leftover"/> row for the per-token kernel (<see cref="TryExecute"/>).</summary>
    public bool Prepare(AttentionParameters a, int rows, CpuTensor q, CpuTensor output, CpuTensor? kF32, CpuTensor? vF32,
        CpuKvTensor? kPacked, CpuKvTensor? vPacked)
    {
        Plan(a, rows);
        if (!Active) return false;
        _q = q; _o = output; _kF32 = kF32; _vF32 = vF32; _kPacked = kPacked; _vPacked = vPacked;
        return true;
    }

    /// <summary>Chunks of a prepared call: the tiled items, then the leftover rows × KV heads.</summary>
    public int Chunks => Items + _leftoverCount * _a.KvHeadCount;

    /// <summary>Runs chunk <paramref name="chunk"/> of a prepared call if it is a tiled item; otherwise returns false
    /// with the leftover (token, KV head) the per-token kernel is to compute.</summary>
    public bool TryExecute(int chunk, int thread, out int token, out int kvHead)
    {
        if (chunk < Items)
        {
            Execute(chunk, thread);
            token = kvHead = 0;
            return true;
        }
        chunk -= Items;
        token = _leftover[chunk / _a.KvHeadCount];
        kvHead = chunk % _a.KvHeadCount;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int thread)
    {
        var a = _a;
        int kvHeads = a.KvHeadCount, group = a.HeadCount / kvHeads, hd = a.HeadDim, blockSize = a.BlockSize;
        int block = _order[item / kvHeads], kvh = item % kvHeads;
        int t0 = _blockRow[block], m = _blockCount[block];
        int rowCount = m * group, mp = (rowCount + 3) & ~3;
        int pos0 = a.Positions[t0], last = pos0 + m - 1, lo = a.FirstVisible(pos0);
        var table = a.Batch.BlockTable(a.TokenSequence[t0]);
        if ((last + blockSize) / blockSize > table.Length)
            throw new InvalidOperationException($"block table of {table.Length} blocks does not cover position {last}");
        bool simd = AttentionTiles.Simd(_isa, hd);
        const int np = KeyTile;

        // Scratch: Kᵀ (hd × np), V tile and K tile (np × hd each, packed caches), Q rows (mp × hd), scores (mp × np),
        // outputs (mp × hd), running max and sum (mp each), then the K rows' pointers and the V rows' offsets (np each).
        long floats = 3L * hd * np + (long)mp * hd + (long)mp * np + (long)mp * hd + 2L * mp;
        floats += floats & 1;
        float* kt = (float*)_scratch[thread].Ensure(floats * 4 + np * 16L);
        float* vt = kt + (long)hd * np, kd = vt + (long)np * hd, qs = kd + (long)np * hd, s = qs + (long)mp * hd;
        float* os = s + (long)mp * np, max = os + (long)mp * hd, sum = max + mp;
        long* rows = (long*)(kt + floats);
        float** kRows = (float**)(rows + np);

        int qOffset = kvh * group * hd;
        for (int i = 0; i < m; i++)
            new ReadOnlySpan<float>(_q.Row(t0 + i) + qOffset, group * hd).CopyTo(new Span<float>(qs + (long)i * group * hd, group * hd));
        new Span<float>(qs + (long)rowCount * hd, (mp - rowCount) * hd).Clear();
        new Span<float>(os, mp * hd).Clear();
        for (int r = 0; r < mp; r++) { max[r] = float.NegativeInfinity; sum[r] = 0; }

        bool packed = _kPacked != null;
        var type = packed ? _kPacked!.Type : default;
        float* vBase = packed ? vt : _vF32!.Data;
        long width = packed ? 0 : _kF32!.Columns;
        int kvOffset = kvh * hd;
        for (int k0 = lo; k0 <= last; k0 += np)
        {
            int n = Math.Min(np, last + 1 - k0);
            for (int j = 0; j < n; j++)
            {
                int p = k0 + j;
                int slot = table[p / blockSize] * blockSize + p % blockSize;
                if (packed)
                {
                    kRows[j] = kd + (long)j * hd;
                    KvRowCodec.Decode(type, _isa.Use256, _kPacked!.Row(slot), kvOffset, hd, kRows[j]);
                    KvRowCodec.Decode(type, _isa.Use256, _vPacked!.Row(slot), kvOffset, hd, vt + (long)j * hd);
                    rows[j] = (long)j * hd;
                }
                else
                {
                    kRows[j] = _kF32!.Data + (long)slot * width + kvOffset;
                    rows[j] = (long)slot * _vF32!.Columns + kvOffset;
                }
            }
            Transpose(kRows, n, hd, kt, np, simd);

            if (simd) AttentionTiles.ScoresAvx2(qs, kt, s, hd, np, mp);
            else AttentionTiles.ScoresScalar(qs, kt, s, hd, n, np, rowCount);
            for (int r = 0; r < rowCount; r++)
                Softmax(r, group, t0, pos0 + r / group, kvh, k0, n, s + (long)r * np, max, sum, os + (long)r * hd, hd, simd);
            if (simd) AttentionTiles.WeightedSumAvx2(s, np, vBase, rows, os, hd, n, mp, accumulate: true);
            else AttentionTiles.WeightedSumScalar(s, np, vBase, rows, os, hd, n, rowCount, accumulate: true);
        }

        float* sinks = a.Sinks is { } sinkWeight ? (float*)sinkWeight.Data + (long)kvh * group : null;
        for (int r = 0; r < rowCount; r++)
        {
            int i = r / group, h = r % group;
            float total = sum[r], scale = 1;
            if (sinks != null)
            {
                // The sink takes probability mass but adds no value: renormalise against max(running max, sink).
                float top = MathF.Max(max[r], sinks[h]);
                scale = MathF.Exp(max[r] - top);
                total = total * scale + MathF.Exp(sinks[h] - top);
            }
            float* o = _o.Row(t0 + i) + qOffset + (long)h * hd;
            SimdLadder.Map<ScaleOperator>(_isa, os + (long)r * hd, os + (long)r * hd, scale / total, o, hd);
        }
    }

    /// <summary>kt[c · np + j] = rows[j][c] for j &lt; n, zero for n ≤ j &lt; np: eight keys × eight dimensions per AVX2
    /// 8×8 transpose where the head size allows, scalar elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float** rows, int n, int hd, float* kt, int np, bool simd)
    {
        int j = 0;
        if (simd)
            for (; j + 8 <= n; j += 8)
            {
                float* r0 = rows[j], r1 = rows[j + 1], r2 = rows[j + 2], r3 = rows[j + 3];
                float* r4 = rows[j + 4], r5 = rows[j + 5], r6 = rows[j + 6], r7 = rows[j + 7];
                for (int c = 0; c < hd; c += 8)
                {
                    var t0 = Avx.UnpackLow(Avx.LoadVector256(r0 + c), Avx.LoadVector256(r1 + c));
                    var t1 = Avx.UnpackHigh(Avx.LoadVector256(r0 + c), Avx.LoadVector256(r1 + c));
                    var t2 = Avx.UnpackLow(Avx.LoadVector256(r2 + c), Avx.LoadVector256(r3 + c));
                    var t3 = Avx.UnpackHigh(Avx.LoadVector256(r2 + c), Avx.LoadVector256(r3 + c));
                    var t4 = Avx.UnpackLow(Avx.LoadVector256(r4 + c), Avx.LoadVector256(r5 + c));
                    var t5 = Avx.UnpackHigh(Avx.LoadVector256(r4 + c), Avx.LoadVector256(r5 + c));
                    var t6 = Avx.UnpackLow(Avx.LoadVector256(r6 + c), Avx.LoadVector256(r7 + c));
                    var t7 = Avx.UnpackHigh(Avx.LoadVector256(r6 + c), Avx.LoadVector256(r7 + c));
                    // u0 = rows 0..3 of dimensions c, c+4; u1 = c+1, c+5; u2 = c+2, c+6; u3 = c+3, c+7 (u4..u7: rows 4..7).
                    var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
                    var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
                    var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
                    var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
                    float* d = kt + (long)c * np + j;
                    Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
                    Avx.Store(d + np, Avx.Permute2x128(u1, u5, 0x20));
                    Avx.Store(d + 2 * np, Avx.Permute2x128(u2, u6, 0x20));
                    Avx.Store(d + 3 * np, Avx.Permute2x128(u3, u7, 0x20));
                    Avx.Store(d + 4 * np, Avx.Permute2x128(u0, u4, 0x31));
                    Avx.Store(d + 5 * np, Avx.Permute2x128(u1, u5, 0x31));
                    Avx.Store(d + 6 * np, Avx.Permute2x128(u2, u6, 0x31));
                    Avx.Store(d + 7 * np, Avx.Permute2x128(u3, u7, 0x31));
                }
            }
        for (; j < n; j++)
        {
            float* r = rows[j];
            for (int c = 0; c < hd; c++) kt[(long)c * np + j] = r[c];
        }
        if (n < np)
            for (int c = 0; c < hd; c++) new Span<float>(kt + (long)c * np + n, np - n).Clear();
    }

    /// <summary>One Q row's scores over the key tile [k0, k0 + n): scaled, softcapped, ALiBi-biased, masked outside the
    /// row's visible positions, then turned into e^(s − running max) in place (0 where masked), with the row's running
    /// max, sum and output rescaled when the max grows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Softmax(int r, int group, int t0, int position, int kvh, int k0, int n, float* sr, float* max, float* sum,
        float* o, int hd, bool simd)
    {
        var a = _a;
        int from = Math.Max(0, a.FirstVisible(position) - k0), to = Math.Min(n, position + 1 - k0);
        if (to <= from)
        {
            new Span<float>(sr, n).Clear();
            return;
        }
        new Span<float>(sr, from).Clear();
        new Span<float>(sr + to, n - to).Clear();
        float* x = sr + from;
        int count = to - from;
        float tileMax;
        if (simd && a.Softcap == 0 && a.AlibiSlopes is null) tileMax = ScaleAndMax(x, count, a.Scale);
        else
        {
            SimdLadder.Map<ScaleOperator>(_isa, x, x, a.Scale, x, count);
            if (a.Softcap > 0) ElementwiseKernels.Softcap(x, a.Softcap, count);
            if (a.AlibiSlopes is { } slopes)
            {
                int h = r % group, query = a.QueryPositions[t0 + r / group];
                float slope = slopes[kvh * group + h];
                for (int j = 0; j < count; j++) x[j] -= slope * Math.Abs(query - (k0 + from + j));
            }
            tileMax = SimdLadder.Aggregate<MaxOperator>(_isa, x, x, count);
        }
        float newMax = MathF.Max(max[r], tileMax);
        float tileSum = 0;
        int k = 0;
        if (simd)
        {
            var mv = Vector256.Create(newMax);
            var acc = Vector256<float>.Zero;
            for (; k + 8 <= count; k += 8)
            {
                var e = AttentionTiles.Exp(Vector256.Load(x + k) - mv);
                e.Store(x + k);
                acc += e;
            }
            tileSum = Vector256.Sum(acc);
        }
        for (; k < count; k++) tileSum += x[k] = MathF.Exp(x[k] - newMax);
        if (newMax > max[r] && sum[r] > 0)
        {
            float correction = MathF.Exp(max[r] - newMax);
            sum[r] *= correction;
            SimdLadder.Map<ScaleOperator>(_isa, o, o, correction, o, hd);
        }
        max[r] = newMax;
        sum[r] += tileSum;
    }

    /// <summary>x *= scale in place, returning the maximum: one pass for the common row (no softcap, no ALiBi), whose
    /// per-row overhead is otherwise comparable to the tile's GEMMs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ScaleAndMax(float* x, int count, float scale)
    {
        var sv = Vector256.Create(scale);
        var mv = Vector256.Create(float.NegativeInfinity);
        int k = 0;
        for (; k + 8 <= count; k += 8)
        {
            var v = Vector256.Load(x + k) * sv;
            v.Store(x + k);
            mv = Vector256.Max(mv, v);
        }
        float max = float.NegativeInfinity;
        for (int i = 0; i < 8; i++) max = MathF.Max(max, mv.GetElement(i));
        for (; k < count; k++) max = MathF.Max(max, x[k] *= scale);
        return max;
    }

    public void Dispose()
    {
        foreach (var b in _scratch) b.Dispose();
    }
}
