using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Dot products of one weight row in 32-element int8 blocks (Q8_0, or Q4_0 unpacked to int8) with up to
/// four activation rows quantized to Q8_0: out[t] = Σ_b wd[b]·xd[t][b]·Σ_i w[b][i]·x[t][b][i].
/// Each weight block is loaded once and used for every activation row (the batched-decode win).</summary>
internal static unsafe class DotQ8
{
    /// <param name="wq">Weight block 0's 32 int8 values; block b's at wq + b·wStride.</param>
    /// <param name="wd">Weight block scales as F32.</param>
    /// <param name="xq">Activation row 0 (nb·32 int8); row t at xq + t·nb·32.</param>
    /// <param name="xd">Activation scales; row t at xd + t·nb.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(CpuIsa isa, sbyte* wq, int wStride, float* wd, int nb, sbyte* xq, float* xd, int tokens, float* result, int resultStride)
    {
        int t = 0;
        // With AVX-VNNI the 256-bit tile wins (measured ~15% at T=16): one vpdpbusd per block replaces the
        // 512-bit sign-select + maddubs + madd sequence.
        if (isa.Use512 && !isa.UseVnni)
            for (; t + 4 <= tokens; t += 4)
                Tile4x512(isa, wq, wStride, wd, nb, xq + (long)t * nb * 32, xd + (long)t * nb, result + (long)t * resultStride, resultStride);
        else if (isa.Use256)
            for (; t + 4 <= tokens; t += 4)
                Tile4x256(isa.UseVnni, wq, wStride, wd, nb, xq + (long)t * nb * 32, xd + (long)t * nb, result + (long)t * resultStride, resultStride);
        for (; t < tokens; t++)
            result[(long)t * resultStride] = Single(isa, wq, wStride, wd, nb, xq + (long)t * nb * 32, xd + (long)t * nb);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Single(CpuIsa isa, sbyte* wq, int wStride, float* wd, int nb, sbyte* xq, float* xd)
    {
        int b = 0;
        float sum = 0;
        if (isa.Use256)
        {
            var acc = Vector256<float>.Zero;
            for (; b < nb; b++)
            {
                var p = Block256(Vector256.Load(wq + (long)b * wStride), Vector256.Load(xq + b * 32), isa.UseVnni);
                acc = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(wd[b] * xd[b]), acc);
            }
            sum = Vector256.Sum(acc);
        }
        else if (isa.Use128 && Ssse3.IsSupported)
        {
            var acc = Vector128<float>.Zero;
            var ones = Vector128.Create((short)1);
            for (; b < nb; b++)
            {
                sbyte* w = wq + (long)b * wStride;
                sbyte* x = xq + b * 32;
                var w0 = Vector128.Load(w); var w1 = Vector128.Load(w + 16);
                var p0 = Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(Ssse3.Abs(w0), Ssse3.Sign(Vector128.Load(x), w0)), ones);
                var p1 = Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(Ssse3.Abs(w1), Ssse3.Sign(Vector128.Load(x + 16), w1)), ones);
                acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(p0 + p1), Vector128.Create(wd[b] * xd[b]), acc);
            }
            sum = Vector128.Sum(acc);
        }
        for (; b < nb; b++)
        {
            sbyte* w = wq + (long)b * wStride;
            sbyte* x = xq + b * 32;
            int s = 0;
            for (int i = 0; i < 32; i++) s += w[i] * x[i];
            sum = MathF.FusedMultiplyAdd(wd[b] * xd[b], s, sum);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Block256(Vector256<sbyte> w, Vector256<sbyte> x, bool vnni)
    {
        var uw = Avx2.Abs(w);
        var sx = Avx2.Sign(x, w);
        return vnni
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, uw, sx)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(uw, sx), Vector256.Create((short)1));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x256(bool vnni, sbyte* wq, int wStride, float* wd, int nb, sbyte* xq, float* xd, float* result, int resultStride)
    {
        var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
        long xs = (long)nb * 32;
        var ones = Vector256.Create((short)1);
        for (int b = 0; b < nb; b++)
        {
            var w = Vector256.Load(wq + (long)b * wStride);
            var uw = Avx2.Abs(w);
            float d = wd[b];
            sbyte* x = xq + b * 32;
            Vector256<int> p0, p1, p2, p3;
            if (vnni)
            {
                p0 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, uw, Avx2.Sign(Vector256.Load(x), w));
                p1 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, uw, Avx2.Sign(Vector256.Load(x + xs), w));
                p2 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, uw, Avx2.Sign(Vector256.Load(x + 2 * xs), w));
                p3 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, uw, Avx2.Sign(Vector256.Load(x + 3 * xs), w));
            }
            else
            {
                p0 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(uw, Avx2.Sign(Vector256.Load(x), w)), ones);
                p1 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(uw, Avx2.Sign(Vector256.Load(x + xs), w)), ones);
                p2 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(uw, Avx2.Sign(Vector256.Load(x + 2 * xs), w)), ones);
                p3 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(uw, Avx2.Sign(Vector256.Load(x + 3 * xs), w)), ones);
            }
            a0 = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(d * xd[b]), a0);
            a1 = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(d * xd[nb + b]), a1);
            a2 = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(p2), Vector256.Create(d * xd[2 * nb + b]), a2);
            a3 = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(p3), Vector256.Create(d * xd[3 * nb + b]), a3);
        }
        result[0] = Vector256.Sum(a0);
        result[resultStride] = Vector256.Sum(a1);
        result[2 * resultStride] = Vector256.Sum(a2);
        result[3 * resultStride] = Vector256.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x512(CpuIsa isa, sbyte* wq, int wStride, float* wd, int nb, sbyte* xq, float* xd, float* result, int resultStride)
    {
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        long xs = (long)nb * 32;
        var ones = Vector512.Create((short)1);
        int b = 0;
        for (; b + 2 <= nb; b += 2)
        {
            var w = Vector512.Create(Vector256.Load(wq + (long)b * wStride), Vector256.Load(wq + (long)(b + 1) * wStride));
            var uw = Avx512BW.Abs(w);
            var neg = Vector512.LessThan(w, Vector512<sbyte>.Zero);
            float d0 = wd[b], d1 = wd[b + 1];
            sbyte* x = xq + b * 32;
            var x0 = Vector512.Load(x); var x1 = Vector512.Load(x + xs);
            var x2 = Vector512.Load(x + 2 * xs); var x3 = Vector512.Load(x + 3 * xs);
            var p0 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uw, Vector512.ConditionalSelect(neg, -x0, x0)), ones);
            var p1 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uw, Vector512.ConditionalSelect(neg, -x1, x1)), ones);
            var p2 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uw, Vector512.ConditionalSelect(neg, -x2, x2)), ones);
            var p3 = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uw, Vector512.ConditionalSelect(neg, -x3, x3)), ones);
            a0 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(p0), Pair(d0 * xd[b], d1 * xd[b + 1]), a0);
            a1 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(p1), Pair(d0 * xd[nb + b], d1 * xd[nb + b + 1]), a1);
            a2 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(p2), Pair(d0 * xd[2 * nb + b], d1 * xd[2 * nb + b + 1]), a2);
            a3 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(p3), Pair(d0 * xd[3 * nb + b], d1 * xd[3 * nb + b + 1]), a3);
        }
        float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
        if (b < nb)
        {
            // Odd block count: the last block through the scalar-width path.
            s0 += Single(isa, wq + (long)b * wStride, wStride, wd + b, 1, xq + b * 32, xd + b);
            s1 += Single(isa, wq + (long)b * wStride, wStride, wd + b, 1, xq + xs + b * 32, xd + nb + b);
            s2 += Single(isa, wq + (long)b * wStride, wStride, wd + b, 1, xq + 2 * xs + b * 32, xd + 2 * nb + b);
            s3 += Single(isa, wq + (long)b * wStride, wStride, wd + b, 1, xq + 3 * xs + b * 32, xd + 3 * nb + b);
        }
        result[0] = s0;
        result[resultStride] = s1;
        result[2 * resultStride] = s2;
        result[3 * resultStride] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(float lo, float hi) => Vector512.Create(Vector256.Create(lo), Vector256.Create(hi));
}
