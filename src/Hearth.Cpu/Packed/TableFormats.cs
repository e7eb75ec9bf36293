using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Packed;

/// <summary>A non-linear format's 16 values as the unsigned bytes value + 128, repeated in both 128-bit lanes (vpshufb
/// looks up within a lane).</summary>
internal interface INibbleTable
{
    static abstract Vector256<byte> Table { get; }
}

/// <summary>kvalues_iq4nl + 128 (IQ4_NL, IQ4_XS).</summary>
internal struct Iq4Table : INibbleTable
{
    public static Vector256<byte> Table
    {
        // Inlined so the JIT folds the constant into the kernel: as a call it was 6 % of a gpt-oss decode.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.Create(
        (byte)1, 24, 45, 63, 79, 93, 106, 118, 129, 141, 153, 166, 181, 197, 217, 241,
        1, 24, 45, 63, 79, 93, 106, 118, 129, 141, 153, 166, 181, 197, 217, 241);
    }
}

/// <summary>kvalues_mxfp4 (E2M1 doubled) + 128 (MXFP4).</summary>
internal struct Mxfp4Table : INibbleTable
{
    public static Vector256<byte> Table
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.Create(
        (byte)128, 129, 130, 131, 132, 134, 136, 140, 128, 127, 126, 125, 124, 122, 120, 116,
        128, 129, 130, 131, 132, 134, 136, 140, 128, 127, 126, 125, 124, 122, 120, 116);
    }
}

/// <summary>Non-linear 4-bit formats (IQ4_NL, IQ4_XS, MXFP4): table indexes as nibbles (<see cref="NibbleLayout"/>),
/// 32-column blocks, one vpshufb per step turns them into value + 128 (<see cref="Offset128Dot"/>, as for Q8_0) or, with
/// the table's entries flipped back, the signed value (<see cref="SignedDot"/>: no table holds −128); F32 row scales.</summary>
internal unsafe struct NibbleTableFormat<TTable, TDot> : IPackedFormat where TTable : struct, INibbleTable where TDot : struct, IByteDot
{
    public static int Steps => 8;
    public static bool AbsActivations => TDot.AbsActivations;
    public static int QuantBytes => 128;
    public static int ScaleBytes => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Step(byte* block, int j) =>
        Avx2.Shuffle(TTable.Table ^ Vector256.Create(TDot.Flip), NibbleValues<Kernels.Count8>.Step(block, j));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Start(int correction) => TDot.Start(correction);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX) => TDot.Dot(acc, w, x, absX);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> acc) => TDot.Finish(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scales(byte* scales) => Vector256.Load((float*)scales);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mins(byte* scales) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Correction(int* correction) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<int> dot, Vector256<float> rowScales, Vector256<float> rowMins, Vector256<float> tokenScale, Vector256<float> correction, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(dot), rowScales * tokenScale, acc);
}
