using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Single-token (decode) products of F16 and BF16 rows with AVX-512 (the <see cref="IHalfWidening"/> type argument
/// says which), summed in exactly <see cref="FloatPanelGemm"/>'s order, so a sequence's decode step gives the same bits
/// alone as in a batch (where the panel kernel serves it). Unpacking 32 halves against zero puts each in the top of a
/// 32-bit lane (h &lt;&lt; 16): for BF16 that is the F32 value; for F16 an arithmetic shift right by 3 and a mask of the
/// three copied sign bits leave sign, exponent and mantissa where an F32 has them, i.e. the weight times 2^-112
/// (exactly, subnormals included), three ops per 16 instead of eight; the activation carries 2^112 (exact, as it is
/// already rounded to F16), so every product is exactly the panel kernel's w·x. One vpermw per 32 halves first puts
/// them where the unpacks take columns 0..15 and 16..31 in order, so each accumulator lane sees the panel's columns in
/// the panel's order; column blocks, the 4-row reduction and the tail are the panel's too.</summary>
internal static unsafe class F16Decode
{
    public static bool Available(CpuIsa isa) => isa.Use512;

    /// <summary>xp = x times the format's prescale (F16: 2^112; BF16: 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prepare<TH>(float* x, int k, float* xp) where TH : struct, IHalfWidening
    {
        for (int i = 0; i < k; i++) xp[i] = x[i] * TH.Prescale;
    }

    /// <summary>Where vpermw puts the 32 halves of a step: position 8L + j (j &lt; 4) takes column 4L + j, the low unpack's
    /// lane order; 8L + 4 + j takes 16 + 4L + j, the high unpack's.</summary>
    private static Vector512<short> Order
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            (short)0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23,
            8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    }

    /// <summary>Four consecutive rows (rowStride halves apart) · x → y[0..4): per column block of
    /// <see cref="FloatPanelGemm.ColumnBlock"/>, each row's 16 lanes accumulate 16 columns at a time in order, the four
    /// rows reduce together, columns past the last whole 16 are added per row, and the block's sums add to y. Each row
    /// is read start to end before the next (its blocks' accumulators kept apart): one sequential stream, where taking
    /// the four rows block by block (four streams of 1 KB runs) ran decode at 0.6–0.75× the speed.</summary>
    /// <param name="xp">The activation prepared by <see cref="Prepare{TH}"/>.</param>
    /// <param name="x">The activation itself (rounded to the weight's type), for the columns past whole vectors.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4<TH>(ushort* w, long rowStride, int k, float* xp, float* x, float* y) where TH : struct, IHalfWidening
    {
        const int cb = FloatPanelGemm.ColumnBlock;
        int blocks = (k + cb - 1) / cb;
        Vector512<float>* acc = stackalloc Vector512<float>[4 * blocks];
        int done = 0; // whole-vector columns of the last block (the others are whole blocks)
        for (int r = 0; r < 4; r++)
        {
            ushort* row = w + r * rowStride;
            for (int c = 0; c < blocks; c++)
                acc[r * blocks + c] = Block<TH>(row + c * cb, Math.Min(cb, k - c * cb), xp + c * cb, x + c * cb, out done);
        }
        ushort* w1 = w + rowStride, w2 = w + 2 * rowStride, w3 = w + 3 * rowStride;
        for (int c = 0; c < blocks; c++)
        {
            int c0 = c * cb, kc = Math.Min(cb, k - c0);
            var s = VectorSums.Sum4(acc[c], acc[blocks + c], acc[2 * blocks + c], acc[3 * blocks + c]);
            for (int i = c == blocks - 1 ? done : kc; i < kc; i++)
                s += Vector128.Create(TH.ToFloat(w[c0 + i]), TH.ToFloat(w1[c0 + i]), TH.ToFloat(w2[c0 + i]), TH.ToFloat(w3[c0 + i])) * x[c0 + i];
            if (c > 0) s += Vector128.Load(y);
            s.Store(y);
        }
    }

    /// <summary>One row's accumulator over a column block's whole 16-column vectors; <paramref name="done"/> is how many
    /// columns it covered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block<TH>(ushort* w, int kc, float* xp, float* x, out int done) where TH : struct, IHalfWidening
    {
        var a = Vector512<float>.Zero;
        var order = Order;
        int i = 0;
        for (; i + 32 <= kc; i += 32)
        {
            var h = Avx512BW.PermuteVar32x16(Vector512.Load((short*)(w + i)), order);
            a = Vector512.FusedMultiplyAdd(TH.Low(h), Vector512.Load(xp + i), a);
            a = Vector512.FusedMultiplyAdd(TH.High(h), Vector512.Load(xp + i + 16), a);
        }
        if (i + 16 <= kc)
        {
            // A last half step: these 16 widened exactly (the panel's values) against x itself: the same products.
            var h = Avx512F.ConvertToVector512UInt32(Vector256.Load(w + i));
            a = Vector512.FusedMultiplyAdd(TH.Exact(h), Vector512.Load(x + i), a);
            i += 16;
        }
        done = i;
        return a;
    }
}

/// <summary>How <see cref="F16Decode"/> widens a 16-bit float format: 32 values unpacked against zero (low and high
/// halves of each 128-bit lane), the prescale the activation takes to cancel it, and the scalar tail conversion.</summary>
internal interface IHalfWidening
{
    static abstract float Prescale { get; }
    static abstract Vector512<float> Low(Vector512<short> h);
    static abstract Vector512<float> High(Vector512<short> h);

    /// <summary>16 values (one per 32-bit lane, zero-extended) as their exact F32 values.</summary>
    static abstract Vector512<float> Exact(Vector512<uint> h);

    static abstract float ToFloat(ushort h);
}

/// <summary>F16: the weight times 2^-112 (see <see cref="F16Decode"/>).</summary>
internal struct F16Widening : IHalfWidening
{
    public static float Prescale => 5.192296858534828e+33f; // 2^112

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(Vector512<short> h) =>
        (Avx512BW.UnpackLow(Vector512<short>.Zero, h).AsInt32() >> 3 & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(Vector512<short> h) =>
        (Avx512BW.UnpackHigh(Vector512<short>.Zero, h).AsInt32() >> 3 & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exact(Vector512<uint> h) => HalfBits.ToFloat(h);

    public static float ToFloat(ushort h) => HalfBits.ToFloat(h);
}

/// <summary>BF16: the top half of an F32, so the unpack alone is the value.</summary>
internal struct BF16Widening : IHalfWidening
{
    public static float Prescale => 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(Vector512<short> h) => Avx512BW.UnpackLow(Vector512<short>.Zero, h).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(Vector512<short> h) => Avx512BW.UnpackHigh(Vector512<short>.Zero, h).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exact(Vector512<uint> h) => (h << 16).AsSingle();

    public static float ToFloat(ushort h) => BitConverter.UInt32BitsToSingle((uint)h << 16);
}

