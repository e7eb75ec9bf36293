using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Bidirectional attention for encoders over packed sequences held contiguously in the step's Q, K and V
/// tensors (no cache, no block tables). One chunk = (sequence, query head, tile of up to <see cref="QueryTile"/>
/// queries). The head's K rows are transposed once per chunk into scratch (Kᵀ: head dim × positions, padded to 16
/// columns with zeros) for the register-tiled S = Q·Kᵀ of <see cref="AttentionTiles"/>; each row is scaled,
/// ALiBi-biased and softmaxed; then O = P·V (<see cref="AttentionTiles"/> too) reads the sequence's V rows in place;
/// the softmax between has its own vectorised exp.
/// Head sizes that are not a multiple of 8, and
/// machines below AVX2, take a plain scalar loop with the same arithmetic order per row.</summary>
internal sealed unsafe class EncoderAttentionKernel : IParallelJob, IDisposable
{
    /// <summary>Queries per chunk: enough to amortise the K transpose, small enough that a batch of short sequences
    /// still has many chunks for the threads.</summary>
    private const int QueryTile = 64;
    private readonly CpuThreadPool _pool;
    private readonly CpuIsa _isa;
    private readonly NativeBuffer[] _scratch;
    private int[] _chunkSequence = [], _chunkQuery = [], _starts = [], _lengths = [];
    private CpuTensor _q = null!, _k = null!, _v = null!, _o = null!;
    private AttentionParameters _a = null!;
    private int _tiles;

    public EncoderAttentionKernel(CpuThreadPool pool, CpuIsa isa)
    {
        _pool = pool;
        _isa = isa;
        _scratch = new NativeBuffer[pool.ThreadCount];
        for (int i = 0; i < _scratch.Length; i++) _scratch[i] = new NativeBuffer();
    }

    public void Run(CpuTensor q, CpuTensor k, CpuTensor v, CpuTensor output, AttentionParameters a, ReadOnlySpan<int> lengths)
    {
        if (a.HeadCount % a.KvHeadCount != 0)
            throw new ArgumentException($"head count {a.HeadCount} is not a multiple of KV head count {a.KvHeadCount}");
        if (a.SlidingWindow > 0 || a.Softcap > 0 || a.Sinks is not null)
            throw new ArgumentException("encoder attention has no sliding window, softcap or sinks");
        if (q.Columns < a.HeadCount * a.HeadDim || k.Columns < a.KvHeadCount * a.HeadDim || v.Columns < a.KvHeadCount * a.HeadDim
            || output.Columns < a.HeadCount * a.HeadDim)
            throw new ArgumentException("a tensor is narrower than the attention's heads");
        _q = q; _k = k; _v = v; _o = output; _a = a;
        PlanChunks(lengths, Math.Min(Math.Min(q.Rows, k.Rows), Math.Min(v.Rows, output.Rows)));
        _pool.Run(this, _tiles * a.HeadCount);
    }

    /// <summary>Sequence starts, and one (sequence, first query) pair per query tile.</summary>
    private void PlanChunks(ReadOnlySpan<int> lengths, int rows)
    {
        int n = lengths.Length, tiles = 0, start = 0;
        if (_starts.Length < n) { _starts = new int[n]; _lengths = new int[n]; }
        for (int i = 0; i < n; i++)
        {
            if (lengths[i] < 1) throw new ArgumentException($"sequence {i} is empty");
            _starts[i] = start;
            _lengths[i] = lengths[i];
            start += lengths[i];
            tiles += (lengths[i] + QueryTile - 1) / QueryTile;
        }
        if (start > rows) throw new ArgumentException($"lengths cover {start} rows; the tensors hold {rows}");
        if (_chunkSequence.Length < tiles) { _chunkSequence = new int[tiles]; _chunkQuery = new int[tiles]; }
        int c = 0;
        for (int i = 0; i < n; i++)
            for (int first = 0; first < lengths[i]; first += QueryTile)
            {
                _chunkSequence[c] = i;
                _chunkQuery[c++] = first;
            }
        _tiles = tiles;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int chunk, int thread)
    {
        var a = _a;
        int tile = chunk / a.HeadCount, h = chunk % a.HeadCount, hd = a.HeadDim;
        int seq = _chunkSequence[tile], first = _chunkQuery[tile];
        int start = _starts[seq], n = _lengths[seq], m = Math.Min(QueryTile, n - first);
        int kvh = h / (a.HeadCount / a.KvHeadCount);
        bool simd = _isa.Use256 && hd % 8 == 0;
        // Scratch: Kᵀ (hd × np), the query tile (mp × hd, zero rows past m), scores (mp × np), outputs (mp × hd), then
        // the V rows' float offsets (n longs).
        int np = (n + 15) & ~15, mp = (m + 3) & ~3;
        long floats = (long)hd * np + (long)mp * hd + (long)mp * np + (long)mp * hd;
        float* kt = (float*)_scratch[thread].Ensure(floats * 4 + (long)n * 8);
        float* qs = kt + (long)hd * np, s = qs + (long)mp * hd, os = s + (long)mp * np;
        long* vRows = (long*)(kt + floats);

        long kOffset = (long)kvh * hd;
        for (int j = 0; j < n; j++)
        {
            float* kr = _k.Row(start + j) + kOffset;
            for (int c = 0; c < hd; c++) kt[(long)c * np + j] = kr[c];
        }
        for (int c = 0; c < hd; c++) new Span<float>(kt + (long)c * np + n, np - n).Clear();
        for (int r = 0; r < mp; r++)
        {
            var dst = new Span<float>(qs + (long)r * hd, hd);
            if (r < m) new ReadOnlySpan<float>(_q.Row(start + first + r) + (long)h * hd, hd).CopyTo(dst);
            else dst.Clear();
        }

        if (simd) AttentionTiles.ScoresAvx2(qs, kt, s, hd, np, mp);
        else AttentionTiles.ScoresScalar(qs, kt, s, hd, n, np, m);

        float slope = a.AlibiSlopes is { } slopes ? slopes[h] : 0;
        for (int r = 0; r < m; r++)
        {
            float* sr = s + (long)r * np;
            SimdLadder.Map<ScaleOperator>(_isa, sr, sr, a.Scale, sr, n);
            if (slope != 0)
            {
                int query = first + r;
                for (int j = 0; j < n; j++) sr[j] -= slope * Math.Abs(query - j);
            }
            if (simd) SoftmaxAvx2(sr, n);
            else SoftmaxKernel.Run(_isa, sr, n);
        }

        float* v = _v.Row(start) + kOffset;
        for (int j = 0; j < n; j++) vRows[j] = (long)j * _v.Columns;
        if (simd) AttentionTiles.WeightedSumAvx2(s, np, v, vRows, os, hd, n, mp, accumulate: false);
        else AttentionTiles.WeightedSumScalar(s, np, v, vRows, os, hd, n, m, accumulate: false);
        for (int r = 0; r < m; r++)
            new ReadOnlySpan<float>(os + (long)r * hd, hd).CopyTo(new Span<float>(_o.Row(start + first + r) + (long)h * hd, hd));
    }

    /// <summary>In-place softmax of one row of scores with a Cephes-style exp (a degree-6 polynomial after range
    /// reduction by ln 2, within 2 ulp of expf) and a float sum: the shared softmax's exp widens to double and was a
    /// third of this kernel's time. Scores are finite, so only the lower clamp is needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxAvx2(float* x, int n)
    {
        int j = 0;
        var vmax = Vector256.Create(float.NegativeInfinity);
        for (; j + 8 <= n; j += 8) vmax = Vector256.Max(vmax, Vector256.Load(x + j));
        float max = float.NegativeInfinity;
        for (int i = 0; i < 8; i++) max = MathF.Max(max, vmax.GetElement(i));
        for (int i = j; i < n; i++) max = MathF.Max(max, x[i]);
        var mv = Vector256.Create(max);
        var acc = Vector256<float>.Zero;
        for (j = 0; j + 8 <= n; j += 8)
        {
            var e = AttentionTiles.Exp(Vector256.Load(x + j) - mv);
            e.Store(x + j);
            acc += e;
        }
        float sum = Vector256.Sum(acc);
        for (int i = j; i < n; i++) sum += x[i] = MathF.Exp(x[i] - max);
        var inv = Vector256.Create(1f / sum);
        for (j = 0; j + 8 <= n; j += 8) (Vector256.Load(x + j) * inv).Store(x + j);
        for (int i = j; i < n; i++) x[i] *= 1f / sum;
    }

    public void Dispose()
    {
        foreach (var b in _scratch) b.Dispose();
    }
}
