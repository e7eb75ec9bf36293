using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>The single-token (decode) Q8_0 dot product, read straight from the GGUF blocks with the combined
/// per-block scales s[b] = wd[b]·xd[b] precomputed. Decode is bound by reading weights, so the loop keeps two
/// independent accumulators (the FMA latency chain otherwise caps it) and, with AVX-512, handles two blocks per
/// 512-bit maddubs when AVX-VNNI is missing; with it, one block per 256-bit VNNI dot (measured faster than
/// the 512-bit maddubs sequence, which needs an extra sign select and widening step). Lower paths use <see cref="DotQ8"/>.</summary>
internal static unsafe class DotQ8Decode
{
    /// <summary>Whether this machine/path setting has a fast decode kernel.</summary>
    public static bool Available => CpuFeatures.Use512 || CpuFeatures.UseVnni;

    /// <summary>s[b] = F16 scale of block b · xd[b], eight blocks at a time through a strided gather.</summary>
    public static void CombinedScales(byte* row, int nb, float* xd, float* s)
    {
        int b = 0;
        if (CpuFeatures.Use256)
        {
            var offsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * QuantBlocks.Q8_0Bytes;
            for (; b + 8 <= nb; b += 8)
            {
                // Each gathered int holds the block's F16 scale in its low half; ToFloat ignores the high half.
                var h = Avx2.GatherVector256((int*)(row + (long)b * QuantBlocks.Q8_0Bytes), offsets, 1).AsUInt32();
                (HalfBits.ToFloat(h) * Vector256.Load(xd + b)).Store(s + b);
            }
        }
        for (; b < nb; b++) s[b] = HalfBits.ToFloat(*(ushort*)(row + (long)b * QuantBlocks.Q8_0Bytes)) * xd[b];
    }

    /// <param name="row">The raw Q8_0 row (nb blocks of {f16 d; i8 qs[32]}).</param>
    /// <param name="xq">The activation's nb·32 int8 values.</param>
    /// <param name="s">Combined scales from <see cref="CombinedScales"/>.</param>
    public static float Dot(byte* row, int nb, sbyte* xq, float* s)
    {
        sbyte* w = (sbyte*)row + 2;
        int b = 0;
        float sum;
        if (CpuFeatures.Use512 && !CpuFeatures.UseVnni)
        {
            var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
            for (; b + 4 <= nb; b += 4)
            {
                a0 = Pair512(w + (long)b * QuantBlocks.Q8_0Bytes, xq + b * 32, s + b, a0);
                a1 = Pair512(w + (long)(b + 2) * QuantBlocks.Q8_0Bytes, xq + (b + 2) * 32, s + b + 2, a1);
            }
            if (b + 2 <= nb)
            {
                a0 = Pair512(w + (long)b * QuantBlocks.Q8_0Bytes, xq + b * 32, s + b, a0);
                b += 2;
            }
            sum = Vector512.Sum(a0 + a1);
        }
        else
        {
            var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
            for (; b + 4 <= nb; b += 4)
            {
                sbyte* wb = w + (long)b * QuantBlocks.Q8_0Bytes;
                sbyte* xb = xq + b * 32;
                a0 = BlockVnni(wb, xb, s[b], a0);
                a1 = BlockVnni(wb + QuantBlocks.Q8_0Bytes, xb + 32, s[b + 1], a1);
                a2 = BlockVnni(wb + 2 * QuantBlocks.Q8_0Bytes, xb + 64, s[b + 2], a2);
                a3 = BlockVnni(wb + 3 * QuantBlocks.Q8_0Bytes, xb + 96, s[b + 3], a3);
            }
            sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; b < nb; b++)
            sum = MathF.FusedMultiplyAdd(s[b], DotI8.Dot32(w + (long)b * QuantBlocks.Q8_0Bytes, xq + b * 32), sum);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair512(sbyte* w, sbyte* x, float* s, Vector512<float> acc)
    {
        var wv = Vector512.Create(Vector256.Load(w), Vector256.Load(w + QuantBlocks.Q8_0Bytes));
        var xv = Vector512.Load(x);
        // |w| · (x with w's sign): the u8×s8 multiply then sums exactly (|products| ≤ 127², pairs fit in i16).
        var sx = Vector512.ConditionalSelect(Vector512.LessThan(wv, Vector512<sbyte>.Zero), Vector512<sbyte>.Zero - xv, xv);
        var p = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(wv), sx), Vector512.Create((short)1));
        // Lanes 0–7 take s[0], lanes 8–15 take s[1].
        var scales = Avx512F.PermuteVar16x32(Vector512.CreateScalarUnsafe(*(double*)s).AsSingle(),
            Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(p), scales, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> BlockVnni(sbyte* w, sbyte* x, float s, Vector256<float> acc)
    {
        var wv = Vector256.Load(w);
        var p = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Avx2.Abs(wv), Avx2.Sign(Vector256.Load(x), wv));
        return Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(s), acc);
    }
}
