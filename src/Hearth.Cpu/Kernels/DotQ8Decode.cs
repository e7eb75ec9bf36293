using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>The single-token (decode) Q8_0 dot product, read straight from the GGUF blocks in one pass.
/// Decode is bound by streaming weights from memory, so: the F16 block scale is converted inline (a separate
/// scale pass over the row first demand-loads every cache line with little overlap and ran at a third of the
/// speed), and the loop keeps independent accumulators so the FMA latency chain does not cap it. With AVX-VNNI
/// one block per 256-bit dot (measured faster here than the 512-bit sign-select + maddubs + madd sequence);
/// AVX-512 without VNNI takes two blocks per 512-bit maddubs. Lower paths use <see cref="DotQ8"/>.</summary>
internal static unsafe class DotQ8Decode
{
    private const int B = QuantBlocks.Q8_0Bytes;

    /// <summary>Whether this machine/path setting has a fast decode kernel.</summary>
    public static bool Available(CpuIsa isa) => isa.Use512 || isa.UseVnni;

    /// <param name="row">The raw Q8_0 row (nb blocks of {f16 d; i8 qs[32]}).</param>
    /// <param name="xq">The activation's nb·32 int8 values.</param>
    /// <param name="xd">The activation's nb block scales.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(CpuIsa isa, byte* row, int nb, sbyte* xq, float* xd)
    {
        int b = 0;
        float sum;
        if (isa.UseVnni)
        {
            var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
            for (; b + 4 <= nb; b += 4)
            {
                byte* wb = row + (long)b * B;
                sbyte* xb = xq + b * 32;
                a0 = BlockVnni(wb, xb, xd[b], a0);
                a1 = BlockVnni(wb + B, xb + 32, xd[b + 1], a1);
                a2 = BlockVnni(wb + 2 * B, xb + 64, xd[b + 2], a2);
                a3 = BlockVnni(wb + 3 * B, xb + 96, xd[b + 3], a3);
            }
            sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else
        {
            var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
            for (; b + 4 <= nb; b += 4)
            {
                a0 = Pair512(row + (long)b * B, xq + b * 32, xd + b, a0);
                a1 = Pair512(row + (long)(b + 2) * B, xq + (b + 2) * 32, xd + b + 2, a1);
            }
            sum = Vector512.Sum(a0 + a1);
        }
        for (; b < nb; b++)
        {
            byte* wb = row + (long)b * B;
            sum = MathF.FusedMultiplyAdd(HalfBits.ToFloat(*(ushort*)wb) * xd[b], DotI8.Dot32(isa, (sbyte*)wb + 2, xq + b * 32), sum);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> BlockVnni(byte* block, sbyte* x, float xd, Vector256<float> acc)
    {
        var wv = Vector256.Load((sbyte*)block + 2);
        var p = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Avx2.Abs(wv), Avx2.Sign(Vector256.Load(x), wv));
        float s = HalfBits.ToFloat(*(ushort*)block) * xd;
        return Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(s), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair512(byte* blocks, sbyte* x, float* xd, Vector512<float> acc)
    {
        var wv = Vector512.Create(Vector256.Load((sbyte*)blocks + 2), Vector256.Load((sbyte*)blocks + B + 2));
        var xv = Vector512.Load(x);
        // |w| · (x with w's sign): the u8×s8 multiply then sums exactly (|products| ≤ 127², pairs fit in i16).
        var sx = Vector512.ConditionalSelect(Vector512.LessThan(wv, Vector512<sbyte>.Zero), Vector512<sbyte>.Zero - xv, xv);
        var p = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(wv), sx), Vector512.Create((short)1));
        float s0 = HalfBits.ToFloat(*(ushort*)blocks) * xd[0], s1 = HalfBits.ToFloat(*(ushort*)(blocks + B)) * xd[1];
        var scales = Vector512.Create(Vector256.Create(s0), Vector256.Create(s1));
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(p), scales, acc);
    }
}
