using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Packed;

/// <summary>The step dot of <see cref="PackedGemm"/>: per int32 lane, acc + the 4 products of the packed weight bytes
/// with a broadcast of 4 int8 activations. With AVX-VNNI it is one vpdpbusd for every format. Without it, the format's
/// byte range decides the cheapest exact AVX2 sequence (activations are int8 in −127..127):
/// <list type="bullet">
/// <item><see cref="Small"/>: bytes ≤ 127 (the scale/min formats' 0..31): vpmaddubsw cannot saturate (a pair is at
/// most 127·127·2 = 32,258), then vpmaddwd against ones: 3 instructions.</item>
/// <item><see cref="Offset128"/>: bytes = v + 128 for signed v (Q8_0, Q4_0, Q5_0, the IQ4/MXFP4 tables): llama.cpp's sign
/// trick on v: vpmaddubsw(|v|, x·sign(v)) is Σ v·x with pairs of at most 128·127·2 = 32,512, so the +128 offset and
/// its −128·Σx correction disappear (<see cref="Offset128Start"/> starts at zero): 5 instructions, where emulating
/// vpdpbusd on all 8 bits took 9.</item>
/// </list>
/// Integer sums are exact either way, so every path gives the same bits.</summary>
internal static class PackedDots
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Small(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, w, x) : acc + Pairs(w, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Offset128(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, w, x);
        var v = (w ^ Vector256.Create((byte)0x80)).AsSByte();
        return acc + Pairs(Avx2.Abs(v), Avx2.Sign(x, v));
    }

    /// <summary>Where an offset-128 format's accumulator starts: its correction −128·Σx under vpdpbusd (which multiplies
    /// the offset bytes), zero under the sign trick (which multiplies the signed values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Offset128Start(int correction) =>
        AvxVnni.IsSupported ? Vector256.Create(correction) : Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pairs(Vector256<byte> w, Vector256<sbyte> x) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, x), Vector256.Create((short)1));
}
