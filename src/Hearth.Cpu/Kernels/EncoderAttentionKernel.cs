using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Bidirectional attention for encoders over packed sequences held contiguously in the step's Q, K and V
/// tensors (no cache, no block tables). One chunk = (sequence, query head, tile of up to <see cref="QueryTile"/>
/// queries). The head's K rows are transposed once per chunk into scratch (Kᵀ: head dim × positions, padded to 16
/// columns with zeros), so the scores of four queries against sixteen keys are eight FMA registers per head-dim step
/// (S = Q·Kᵀ, register-tiled); each row is scaled, ALiBi-biased and softmaxed; then O = P·V takes four queries × sixteen
/// output columns per pass over the sequence's V rows, read in place; the softmax between has its own vectorised exp.
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
        // Scratch: Kᵀ (hd × np), the query tile (mp × hd, zero rows past m), scores (mp × np), outputs (mp × hd).
        int np = (n + 15) & ~15, mp = (m + 3) & ~3;
        float* kt = (float*)_scratch[thread].Ensure(((long)hd * np + (long)mp * hd + (long)mp * np + (long)mp * hd) * 4);
        float* qs = kt + (long)hd * np, s = qs + (long)mp * hd, os = s + (long)mp * np;

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

        if (simd) ScoresAvx2(qs, kt, s, hd, np, mp);
        else ScoresScalar(qs, kt, s, hd, n, np, m);

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
        long vStride = _v.Columns;
        if (simd) WeightedSumAvx2(s, v, vStride, os, hd, n, np, mp);
        else WeightedSumScalar(s, v, vStride, os, hd, n, np, m);
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
            var e = Exp(Vector256.Load(x + j) - mv);
            e.Store(x + j);
            acc += e;
        }
        float sum = Vector256.Sum(acc);
        for (int i = j; i < n; i++) sum += x[i] = MathF.Exp(x[i] - max);
        var inv = Vector256.Create(1f / sum);
        for (j = 0; j + 8 <= n; j += 8) (Vector256.Load(x + j) * inv).Store(x + j);
        for (int i = j; i < n; i++) x[i] *= 1f / sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(-87.3f));
        var n = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(1.44269504088896341f), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500e-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return y * scale.AsSingle();
    }

    /// <summary>s[r, j] = q_r · k_j for r &lt; mp (a multiple of 4) and j &lt; np (a multiple of 16): four query rows ×
    /// sixteen keys in eight registers per step over the head dimension.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoresAvx2(float* q, float* kt, float* s, int hd, int np, int mp)
    {
        for (int r = 0; r < mp; r += 4)
        {
            float* q0 = q + (long)r * hd, q1 = q0 + hd, q2 = q1 + hd, q3 = q2 + hd;
            for (int j = 0; j < np; j += 16)
            {
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                float* k = kt + j;
                for (int c = 0; c < hd; c++, k += np)
                {
                    var k0 = Vector256.Load(k);
                    var k1 = Vector256.Load(k + 8);
                    var b = Vector256.Create(q0[c]);
                    a00 = Vector256.FusedMultiplyAdd(b, k0, a00); a01 = Vector256.FusedMultiplyAdd(b, k1, a01);
                    b = Vector256.Create(q1[c]);
                    a10 = Vector256.FusedMultiplyAdd(b, k0, a10); a11 = Vector256.FusedMultiplyAdd(b, k1, a11);
                    b = Vector256.Create(q2[c]);
                    a20 = Vector256.FusedMultiplyAdd(b, k0, a20); a21 = Vector256.FusedMultiplyAdd(b, k1, a21);
                    b = Vector256.Create(q3[c]);
                    a30 = Vector256.FusedMultiplyAdd(b, k0, a30); a31 = Vector256.FusedMultiplyAdd(b, k1, a31);
                }
                float* d = s + (long)r * np + j;
                a00.Store(d); a01.Store(d + 8); d += np;
                a10.Store(d); a11.Store(d + 8); d += np;
                a20.Store(d); a21.Store(d + 8); d += np;
                a30.Store(d); a31.Store(d + 8);
            }
        }
    }

    private static void ScoresScalar(float* q, float* kt, float* s, int hd, int n, int np, int m)
    {
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
            {
                float dot = 0;
                for (int c = 0; c < hd; c++) dot += q[(long)r * hd + c] * kt[(long)c * np + j];
                s[(long)r * np + j] = dot;
            }
    }

    /// <summary>o[r, 0..hd) = Σ_j p[r, j] · v_j for r &lt; mp: four rows × sixteen columns (or eight, for the last
    /// block of a head size that is 8 mod 16) in registers across the sequence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSumAvx2(float* p, float* v, long vStride, float* o, int hd, int n, int np, int mp)
    {
        for (int r = 0; r < mp; r += 4)
        {
            float* p0 = p + (long)r * np, p1 = p0 + np, p2 = p1 + np, p3 = p2 + np;
            float* o0 = o + (long)r * hd;
            int c = 0;
            for (; c + 16 <= hd; c += 16)
            {
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                float* vj = v + c;
                for (int j = 0; j < n; j++, vj += vStride)
                {
                    var v0 = Vector256.Load(vj);
                    var v1 = Vector256.Load(vj + 8);
                    var b = Vector256.Create(p0[j]);
                    a00 = Vector256.FusedMultiplyAdd(b, v0, a00); a01 = Vector256.FusedMultiplyAdd(b, v1, a01);
                    b = Vector256.Create(p1[j]);
                    a10 = Vector256.FusedMultiplyAdd(b, v0, a10); a11 = Vector256.FusedMultiplyAdd(b, v1, a11);
                    b = Vector256.Create(p2[j]);
                    a20 = Vector256.FusedMultiplyAdd(b, v0, a20); a21 = Vector256.FusedMultiplyAdd(b, v1, a21);
                    b = Vector256.Create(p3[j]);
                    a30 = Vector256.FusedMultiplyAdd(b, v0, a30); a31 = Vector256.FusedMultiplyAdd(b, v1, a31);
                }
                float* d = o0 + c;
                a00.Store(d); a01.Store(d + 8); d += hd;
                a10.Store(d); a11.Store(d + 8); d += hd;
                a20.Store(d); a21.Store(d + 8); d += hd;
                a30.Store(d); a31.Store(d + 8);
            }
            if (c < hd)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* vj = v + c;
                for (int j = 0; j < n; j++, vj += vStride)
                {
                    var v0 = Vector256.Load(vj);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(p0[j]), v0, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Create(p1[j]), v0, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Create(p2[j]), v0, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Create(p3[j]), v0, a3);
                }
                float* d = o0 + c;
                a0.Store(d); a1.Store(d + hd); a2.Store(d + 2 * hd); a3.Store(d + 3 * hd);
            }
        }
    }

    private static void WeightedSumScalar(float* p, float* v, long vStride, float* o, int hd, int n, int np, int m)
    {
        for (int r = 0; r < m; r++)
            for (int c = 0; c < hd; c++)
            {
                float sum = 0;
                for (int j = 0; j < n; j++) sum += p[(long)r * np + j] * v[j * vStride + c];
                o[(long)r * hd + c] = sum;
            }
    }

    public void Dispose()
    {
        foreach (var b in _scratch) b.Dispose();
    }
}
