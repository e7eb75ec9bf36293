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
/// <item><see cref="Signed"/>: signed bytes in −127..127 against activations that carry |x| beside x (interleaved once
/// per token when the activation is quantised): vpmaddubsw(|x|, w·sign(x)), pairs again at most 127·127·2. The
/// per-weight XOR and vpabsb of <see cref="Offset128"/> go away, but the two multiplies per token and step remain, and
/// on Zen 3 (AVX2 only) those bound the kernel: measured no faster for Q8_0, so only the small-valued formats take the
/// signed layout, where <see cref="SignedSmallDot"/> drops the vpmaddwd from the step as well (1.29× for Q4_0).</item>
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

    /// <summary>acc + Σ w·x for signed weight bytes (never −128: its negation does not fit) and the activation's
    /// broadcast <paramref name="x"/> with its magnitudes <paramref name="absX"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Signed(Vector256<int> acc, Vector256<sbyte> w, Vector256<sbyte> x, Vector256<byte> absX)
    {
        var s = Avx2.Sign(w, x);
        return AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, absX, s) : acc + Pairs(absX, s);
    }

    /// <summary>Where an offset-128 format's accumulator starts: its correction −128·Σx under vpdpbusd (which multiplies
    /// the offset bytes), zero under the sign trick (which multiplies the signed values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Offset128Start(int correction) =>
        AvxVnni.IsSupported ? Vector256.Create(correction) : Vector256<int>.Zero;

    /// <summary>Per block the packed int16 pair (−off·S₀, −off·S₁) of the block's int8 activations <paramref name="q"/>,
    /// where S_p sums columns 4j + 2p and 4j + 2p + 1 over the block's steps j: the two lanes of a vpmaddubsw against
    /// one broadcast step. It starts the int16 lanes of the kernels whose unsigned operand is value + off
    /// (<see cref="NibbleDecode{TF}"/>: MXFP4 12, Q4_0 8, Q5_0 16), taking the offset back out.</summary>
    public static unsafe void PairCorrections(sbyte* q, int blocks, int* c, int offset)
    {
        for (int b = 0; b < blocks; b++, q += 32)
        {
            int s0 = 0, s1 = 0;
            for (int j = 0; j < 32; j += 4)
            {
                s0 += q[j] + q[j + 1];
                s1 += q[j + 2] + q[j + 3];
            }
            c[b] = (ushort)(short)(-offset * s0) | (-offset * s1) << 16;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pairs(Vector256<byte> w, Vector256<sbyte> x) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, x), Vector256.Create((short)1));
}

/// <summary>How an int8 format's step bytes meet the activations (<see cref="Q8_0Format{TDot}"/>,
/// <see cref="NibbleTableFormat{TTable, TDot}"/>): as value + 128 (<see cref="Offset128Dot"/>, what vpdpbusd takes) or
/// as the signed value against activations interleaved with their magnitudes (<see cref="SignedDot"/>).</summary>
internal interface IByteDot
{
    /// <summary>Whether the activation tile carries |x| beside x (<see cref="PackedGemm.InterleaveTile"/>).</summary>
    static abstract bool AbsActivations { get; }

    /// <summary>XORed into the offset-128 bytes a format computes (a table's entries) to give the bytes this dot takes.</summary>
    static abstract byte Flip { get; }

    static abstract Vector256<int> Start(int correction);

    static abstract Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX);

    /// <summary>The block's int32 dot products from the accumulator (identity unless it holds int16 pair sums).</summary>
    static abstract Vector256<int> Finish(Vector256<int> acc);
}

/// <summary>Bytes v + 128: vpdpbusd with the −128·Σx correction, or the sign trick (<see cref="PackedDots.Offset128"/>).</summary>
internal struct Offset128Dot : IByteDot
{
    public static bool AbsActivations => false;
    public static byte Flip => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Start(int correction) => PackedDots.Offset128Start(correction);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX) =>
        PackedDots.Offset128(acc, w, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> acc) => acc;
}

/// <summary>Signed bytes in −127..127 (<see cref="PackedDots.Signed"/>); the accumulator starts at zero.</summary>
internal struct SignedDot : IByteDot
{
    public static bool AbsActivations => true;
    public static byte Flip => 0x80;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Start(int correction) => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX) =>
        PackedDots.Signed(acc, w.AsSByte(), x, absX);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> acc) => acc;
}

/// <summary>Signed bytes in −16..16 (Q4_0's −8..7 and Q5_0's −16..15 widened; MXFP4's ±12 on request) against Q8_0 activations (−127..127):
/// a vpmaddubsw pair is at most 2·16·127,
/// so a 32-column block's 8 steps add up in int16 (≤ 32,512) and one vpmaddwd per block widens them: 3 instructions
/// per token and step instead of <see cref="SignedDot"/>'s 4. With AVX-VNNI, vpdpbusd as there.</summary>
internal struct SignedSmallDot : IByteDot
{
    public static bool AbsActivations => true;
    public static byte Flip => 0x80;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Start(int correction) => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX)
    {
        if (AvxVnni.IsSupported) return PackedDots.Signed(acc, w.AsSByte(), x, absX);
        return (acc.AsInt16() + Avx2.MultiplyAddAdjacent(absX, Avx2.Sign(w.AsSByte(), x))).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> acc) =>
        AvxVnni.IsSupported ? acc : Avx2.MultiplyAddAdjacent(acc.AsInt16(), Vector256.Create((short)1));
}
