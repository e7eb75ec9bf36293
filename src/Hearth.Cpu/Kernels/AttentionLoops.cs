using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>The two inner loops of attention, shared by the F32 and the packed-KV kernels: scores of a GQA group's
/// query heads against K rows, and the weighted sum of V rows. Rows are addressed by float offsets from a base pointer,
/// so the same loops read the paged cache in place (F32) or a tile of rows dequantised into scratch (F16, Q8_0).
/// With AVX-512 or AVX2 and head sizes that are a multiple of 64 (Llama, Qwen, Mistral), four heads' dot products are
/// reduced together (one transpose-and-add tree instead of four horizontal sums; each K row is loaded once for the
/// four) and V is accumulated 64 columns at a time in registers; other shapes take the plain per-head loop.</summary>
internal static unsafe class AttentionLoops
{
    /// <summary>Whether the four-head and 64-column register paths apply.</summary>
    public static bool Fast(CpuIsa isa, int headDim) => (isa.Use512 || isa.Use256) && headDim % 64 == 0;

    /// <summary>scores[h·stride + p] = (q_h · k_p) · scale for the <paramref name="group"/> heads starting at q (each
    /// <paramref name="hd"/> floats) and the n rows at k + rows[p].</summary>
    public static void Scores(CpuIsa isa, float* q, int group, int hd, float* k, long* rows, int n, float scale, float* scores, int stride)
    {
        int h = 0;
        if (Fast(isa, hd))
            for (; h + 4 <= group; h += 4)
                if (isa.Use512) Scores4(q + (long)h * hd, hd, k, rows, n, scale, scores + (long)h * stride, stride);
                else Scores4Avx2(q + (long)h * hd, hd, k, rows, n, scale, scores + (long)h * stride, stride);
        for (; h < group; h++)
            for (int p = 0; p < n; p++)
                scores[(long)h * stride + p] = DotF32.Dot(isa, q + (long)h * hd, k + rows[p], hd) * scale;
    }

    /// <summary>o[0..hd) = Σ_p s[p] · v_p (or o += that when <paramref name="accumulate"/>), v_p at v + rows[p].</summary>
    public static void WeightedSum(CpuIsa isa, float* s, float* v, long* rows, int n, float* o, int hd, bool accumulate)
    {
        if (Fast(isa, hd))
        {
            for (int c = 0; c < hd; c += 64)
                if (isa.Use512) WeightedSum64(s, v + c, rows, n, o + c, accumulate);
                else WeightedSum64Avx2(s, v + c, rows, n, o + c, accumulate);
            return;
        }
        if (!accumulate) new Span<float>(o, hd).Clear();
        for (int p = 0; p < n; p++) Axpy.Run(isa, s[p], v + rows[p], o, hd);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores4(float* q, int hd, float* k, long* rows, int n, float scale, float* scores, int stride)
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
            scores[stride + p] = sums.GetElement(1);
            scores[2 * stride + p] = sums.GetElement(2);
            scores[3 * stride + p] = sums.GetElement(3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores4Avx2(float* q, int hd, float* k, long* rows, int n, float scale, float* scores, int stride)
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
            scores[stride + p] = sums.GetElement(1);
            scores[2 * stride + p] = sums.GetElement(2);
            scores[3 * stride + p] = sums.GetElement(3);
        }
    }

    /// <summary>o[0..64) (+)= Σ_p s[p] · v_p[0..64), the 64 outputs held in four registers across all positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum64(float* s, float* v, long* rows, int n, float* o, bool accumulate)
    {
        Vector512<float> o0, o1, o2, o3;
        if (accumulate) { o0 = Vector512.Load(o); o1 = Vector512.Load(o + 16); o2 = Vector512.Load(o + 32); o3 = Vector512.Load(o + 48); }
        else o0 = o1 = o2 = o3 = Vector512<float>.Zero;
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

    /// <summary><see cref="WeightedSum64"/> with 256-bit vectors: the 64 outputs in eight registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum64Avx2(float* s, float* v, long* rows, int n, float* o, bool accumulate)
    {
        Vector256<float> o0, o1, o2, o3, o4, o5, o6, o7;
        if (accumulate)
        {
            o0 = Vector256.Load(o); o1 = Vector256.Load(o + 8); o2 = Vector256.Load(o + 16); o3 = Vector256.Load(o + 24);
            o4 = Vector256.Load(o + 32); o5 = Vector256.Load(o + 40); o6 = Vector256.Load(o + 48); o7 = Vector256.Load(o + 56);
        }
        else o0 = o1 = o2 = o3 = o4 = o5 = o6 = o7 = Vector256<float>.Zero;
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
}
