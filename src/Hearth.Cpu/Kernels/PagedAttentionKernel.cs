using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Causal attention over a paged F32 KV cache. One chunk = one (token, KV head): the token's visible
/// positions (0..p, or the sliding window ending at p) are resolved through its sequence's block table once, then every query head of the GQA group reads the
/// same K and V rows: scores q·k·scale, softmax, Σ p_i · v_i.
/// With AVX-512 or AVX2 and head sizes that are a multiple of 64 (Llama, Qwen, Mistral), four heads' dot products are
/// reduced together (one transpose-and-add tree instead of four horizontal sums; each K row is loaded once for the
/// four) and V is accumulated 64 columns at a time in registers; other shapes take the plain per-head loop. Long
/// contexts are dominated by these two loops (decode at 16k reads 16k K and V rows per layer and KV head).</summary>
internal sealed unsafe class PagedAttentionKernel : IParallelJob, IDisposable
{
    private readonly CpuThreadPool _pool;
    private readonly NativeBuffer[] _scratch;
    private CpuTensor _q = null!, _k = null!, _v = null!, _o = null!;
    private AttentionParameters _a = null!;

    private readonly CpuIsa _isa;

    public PagedAttentionKernel(CpuThreadPool pool, CpuIsa isa)
    {
        _pool = pool;
        _isa = isa;
        _scratch = new NativeBuffer[pool.ThreadCount];
        for (int i = 0; i < _scratch.Length; i++) _scratch[i] = new NativeBuffer();
    }

    public void Run(CpuTensor q, CpuTensor kCache, CpuTensor vCache, CpuTensor output, AttentionParameters a, int rows)
    {
        if (a.HeadCount % a.KvHeadCount != 0)
            throw new ArgumentException($"head count {a.HeadCount} is not a multiple of KV head count {a.KvHeadCount}");
        _q = q; _k = kCache; _v = vCache; _o = output; _a = a;
        _pool.Run(this, rows * a.KvHeadCount);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int chunk, int thread)
    {
        var a = _a;
        int t = chunk / a.KvHeadCount, kvh = chunk % a.KvHeadCount;
        int group = a.HeadCount / a.KvHeadCount;
        int hd = a.HeadDim;
        int pos = a.Positions[t];
        var table = a.Batch.BlockTable(a.TokenSequence[t]);
        int first = a.FirstVisible(pos);
        int n = pos + 1 - first;
        if ((pos + a.BlockSize) / a.BlockSize > table.Length)
            throw new InvalidOperationException($"block table of {table.Length} blocks does not cover position {pos}");

        // Scratch: group × n scores, then n row offsets (floats from the cache start to this KV head's slice).
        float* scores = (float*)_scratch[thread].Ensure((long)n * group * 4 + (long)n * 8 + 8);
        long* rows = (long*)(scores + (long)n * group + ((long)n * group & 1));
        long width = _k.Columns, kvOffset = (long)kvh * hd;
        for (int i = 0; i < n; i++)
        {
            int p = first + i;
            rows[i] = ((long)table[p / a.BlockSize] * a.BlockSize + p % a.BlockSize) * width + kvOffset;
        }

        float* q = _q.Row(t) + (long)kvh * group * hd;
        float* o = _o.Row(t) + (long)kvh * group * hd;
        float* k = _k.Data, v = _v.Data;
        bool wide = _isa.Use512 && hd % 64 == 0, fast = wide || _isa.Use256 && hd % 64 == 0;
        int h = 0;
        if (fast)
            for (; h + 4 <= group; h += 4)
                if (wide) Scores4(q + (long)h * hd, hd, k, rows, n, a.Scale, scores + (long)h * n);
                else Scores4Avx2(q + (long)h * hd, hd, k, rows, n, a.Scale, scores + (long)h * n);
        for (; h < group; h++)
            for (int p = 0; p < n; p++)
                scores[(long)h * n + p] = DotF32.Dot(_isa, q + (long)h * hd, k + rows[p], hd) * a.Scale;
        if (a.Softcap > 0)
            ElementwiseKernels.Softcap(scores, a.Softcap, (long)n * group);
        if (a.AlibiSlopes is { } slopes)
        {
            int queryPosition = a.QueryPositions[t];
            for (h = 0; h < group; h++)
            {
                float slope = slopes[kvh * group + h];
                float* s = scores + (long)h * n;
                for (int p = 0; p < n; p++) s[p] -= slope * Math.Abs(queryPosition - (first + p));
            }
        }

        float* sinks = a.Sinks is { } sinkWeight ? (float*)sinkWeight.Data + (long)kvh * group : null;
        for (h = 0; h < group; h++)
        {
            float* s = scores + (long)h * n;
            if (sinks == null) SoftmaxKernel.Run(_isa, s, n);
            else SoftmaxWithSink(s, n, sinks[h]);
            float* oh = o + (long)h * hd;
            if (fast)
                for (int c = 0; c < hd; c += 64)
                    if (wide) WeightedSum64(s, v + c, rows, n, oh + c);
                    else WeightedSum64Avx2(s, v + c, rows, n, oh + c);
            else
            {
                new Span<float>(oh, hd).Clear();
                for (int p = 0; p < n; p++) Axpy.Run(_isa, s[p], v + rows[p], oh, hd);
            }
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

    /// <summary>scores[h·n + p] = (q_h · k_p)·scale for 4 consecutive heads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores4(float* q, int hd, float* k, long* rows, int n, float scale, float* scores)
    {
        for (int p = 0; p < n; p++)
        {
            float* kp = k + rows[p];
            var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
            var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
            for (int c = 0; c < hd; c += 16)
            {
                var kv = Vector512.Load(kp + c);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(q + c), kv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + hd + c), kv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 2 * hd + c), kv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 3 * hd + c), kv, a3);
            }
            var sums = VectorSums.Sum4(a0, a1, a2, a3) * scale;
            scores[p] = sums.GetElement(0);
            scores[n + p] = sums.GetElement(1);
            scores[2 * n + p] = sums.GetElement(2);
            scores[3 * n + p] = sums.GetElement(3);
        }
    }

    /// <summary>o[0..64) = Σ_p s[p] · v_p[0..64), with the 64 outputs held in four registers across all positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum64(float* s, float* v, long* rows, int n, float* o)
    {
        var o0 = Vector512<float>.Zero; var o1 = Vector512<float>.Zero;
        var o2 = Vector512<float>.Zero; var o3 = Vector512<float>.Zero;
        for (int p = 0; p < n; p++)
        {
            float* vp = v + rows[p];
            var w = Vector512.Create(s[p]);
            o0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(vp), o0);
            o1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(vp + 16), o1);
            o2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(vp + 32), o2);
            o3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(vp + 48), o3);
        }
        o0.Store(o); o1.Store(o + 16); o2.Store(o + 32); o3.Store(o + 48);
    }

    /// <summary><see cref="Scores4"/> with 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores4Avx2(float* q, int hd, float* k, long* rows, int n, float scale, float* scores)
    {
        for (int p = 0; p < n; p++)
        {
            float* kp = k + rows[p];
            var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
            for (int c = 0; c < hd; c += 8)
            {
                var kv = Vector256.Load(kp + c);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(q + c), kv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(q + hd + c), kv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(q + 2 * hd + c), kv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(q + 3 * hd + c), kv, a3);
            }
            var sums = VectorSums.Sum4(a0, a1, a2, a3) * scale;
            scores[p] = sums.GetElement(0);
            scores[n + p] = sums.GetElement(1);
            scores[2 * n + p] = sums.GetElement(2);
            scores[3 * n + p] = sums.GetElement(3);
        }
    }

    /// <summary><see cref="WeightedSum64"/> with 256-bit vectors: the 64 outputs in eight registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum64Avx2(float* s, float* v, long* rows, int n, float* o)
    {
        var o0 = Vector256<float>.Zero; var o1 = Vector256<float>.Zero; var o2 = Vector256<float>.Zero; var o3 = Vector256<float>.Zero;
        var o4 = Vector256<float>.Zero; var o5 = Vector256<float>.Zero; var o6 = Vector256<float>.Zero; var o7 = Vector256<float>.Zero;
        for (int p = 0; p < n; p++)
        {
            float* vp = v + rows[p];
            var w = Vector256.Create(s[p]);
            o0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp), o0);
            o1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp + 8), o1);
            o2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp + 16), o2);
            o3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp + 24), o3);
            o4 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp + 32), o4);
            o5 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp + 40), o5);
            o6 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp + 48), o6);
            o7 = Vector256.FusedMultiplyAdd(w, Vector256.Load(vp + 56), o7);
        }
        o0.Store(o); o1.Store(o + 8); o2.Store(o + 16); o3.Store(o + 24);
        o4.Store(o + 32); o5.Store(o + 40); o6.Store(o + 48); o7.Store(o + 56);
    }

    public void Dispose()
    {
        foreach (var b in _scratch) b.Dispose();
    }
}
