using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>Where a packed nibble goes: in a block of 4-column steps, step j's 8 rows × 4 columns live in 32-byte vector
/// j/2, low nibbles for even steps and high nibbles for odd ones, row r at bytes 4r..4r+3 (the layout of
/// <see cref="NibbleValues{TSteps}"/> and <see cref="NibbleTableFormat{TTable, TDot}"/>).</summary>
internal static unsafe class NibbleLayout
{
    /// <summary>ORs value <paramref name="q"/> (0..15) of row <paramref name="r"/>, block column <paramref name="column"/>
    /// into the block at <paramref name="block"/> (which starts zeroed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put(byte* block, int r, int column, int q)
    {
        int j = column / 4;
        block[(j / 2) * 32 + r * 4 + column % 4] |= (byte)(q << ((j & 1) * 4));
    }

    /// <summary>Row r's first <paramref name="columns"/> values (a multiple of 8) of the block at
    /// <paramref name="block"/>, value c being (values[c] &gt;&gt; shift) &amp; 15, as <see cref="Put"/> places them:
    /// bytes 32i + 4r + j hold column 8i + j in their low nibble and 8i + 4 + j in their high one. Four values per
    /// operation and plain stores (each row's bytes of a block are its own): packing a model one nibble at a time with
    /// read-modify-writes took most of its load time (gpt-oss-20b's 12 GB of experts: 51 s of CPU).</summary>
    public static void PutRow(byte* block, int r, byte* values, int columns, int shift = 0)
    {
        const uint low = 0x0F0F0F0Fu;
        uint* word = (uint*)values;
        uint* slot = (uint*)(block + 4 * r);
        for (int i = 0; i < columns / 8; i++)
            slot[8 * i] = (word[2 * i] >> shift & low) | (word[2 * i + 1] >> shift & low) << 4;
    }

    /// <summary>The value <see cref="Put"/> stored for row <paramref name="r"/>, block column <paramref name="column"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Get(byte* block, int r, int column)
    {
        int j = column / 4;
        return (block[(j / 2) * 32 + r * 4 + column % 4] >> ((j & 1) * 4)) & 0xF;
    }
}

/// <summary>How a packed layout stores its values: steps per block, bytes per group and block, and step j's 8 rows ×
/// 4 columns as unsigned bytes.</summary>
internal unsafe interface IValueLayout
{
    static abstract int Steps { get; }
    static abstract int QuantBytes { get; }
    static abstract Vector256<byte> Step(byte* block, int j);
}

/// <summary>Values 0..15 as nibbles (<see cref="NibbleLayout"/>), blocks of 4·TSteps columns.</summary>
internal unsafe struct NibbleValues<TSteps> : IValueLayout where TSteps : struct, ITileCount
{
    public static int Steps => TSteps.N;
    public static int QuantBytes => TSteps.N * 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Step(byte* block, int j) =>
        (Vector256.Load(block + (j >> 1) * 32).AsUInt16() >> ((j & 1) * 4)).AsByte() & Vector256.Create((byte)0x0F);
}

/// <summary>Values 0..255 as whole bytes in the Q8_0 step layout (step j at bytes 32j.., row r at 4r..4r+3), 32-column blocks.</summary>
internal unsafe struct ByteValues : IValueLayout
{
    public static int Steps => 8;
    public static int QuantBytes => 256;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Step(byte* block, int j) => Vector256.Load(block + j * 32);
}

/// <summary>Values scale·q − min with unsigned q stored as <typeparamref name="TValues"/> says (nibbles for Q4_1,
/// bytes for the 5-bit Q5_1), F32 row scales then mins per block; the correction is
/// −(token scale)·Σx over the block as F32 bits, multiplied by the mins.</summary>
internal unsafe struct ScaleMinFormat<TValues> : IPackedFormat where TValues : struct, IValueLayout
{
    public static int Steps => TValues.Steps;
    public static bool AbsActivations => false;
    public static int QuantBytes => TValues.QuantBytes;
    public static int ScaleBytes => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Step(byte* block, int j) => TValues.Step(block, j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Start(int correction) => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX) => PackedDots.Small(acc, w, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> acc) => acc;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scales(byte* scales) => Vector256.Load((float*)scales);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mins(byte* scales) => Vector256.Load((float*)scales + 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Correction(int* correction) => Vector256.Create(BitConverter.Int32BitsToSingle(*correction));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<int> dot, Vector256<float> rowScales, Vector256<float> rowMins, Vector256<float> tokenScale, Vector256<float> correction, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(rowMins, correction,
            Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(dot), rowScales * tokenScale, acc));
}
