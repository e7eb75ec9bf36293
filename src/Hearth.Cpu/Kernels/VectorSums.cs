using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Horizontal sums of several accumulators at once (cheaper than one horizontal sum each).</summary>
internal static class VectorSums
{
    /// <summary>The four horizontal sums of a0..a3 as one vector (halve to 256 bits, then two rounds of pairwise adds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        var b0 = a0.GetLower() + a0.GetUpper();
        var b1 = a1.GetLower() + a1.GetUpper();
        var b2 = a2.GetLower() + a2.GetUpper();
        var b3 = a3.GetLower() + a3.GetUpper();
        return Sum4(b0, b1, b2, b3);
    }

    /// <summary>The four horizontal sums of a0..a3 (AVX): two rounds of pairwise adds, then the two 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> b0, Vector256<float> b1, Vector256<float> b2, Vector256<float> b3)
    {
        var c01 = Avx.HorizontalAdd(b0, b1); // per 128-bit lane: b0 pairs, b1 pairs
        var c23 = Avx.HorizontalAdd(b2, b3);
        var d = Avx.HorizontalAdd(c01, c23); // per lane: partial sums of b0, b1, b2, b3
        return d.GetLower() + d.GetUpper();
    }
}
