using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Kernels;

/// <summary>Single-token (decode) products of F16 and BF16 rows with AVX-512 (the <see cref="IHalfWidening"/> type argument
/// says which), summed in exactly <see cref="FloatPanelGemm"/>'s order, so a sequence's decode step gives the same bits
/// alone as in a batch (where the panel kernel serves it). 16 halves sign-extended to 32-bit lanes (vpmovsxwd, in column
/// order) and shifted left by 13 hold an F16's sign, exponent and mantissa where an F32 has them, with copies of the sign
/// in bits 28..30; masking those off leaves the weight times 2^-112 (exactly, subnormals included), three ops per 16
/// instead of eight; the activation carries 2^112 (exact, as it is already rounded to F16), so every product is exactly
/// the panel kernel's w·x. BF16 is the F32's top half: a shift by 16. Column blocks, the 4-row reduction and the tails
/// are the panel kernel's too. (BF16 on machines with AVX512_BF16 takes <see cref="BF16PanelGemm"/> instead.)</summary>
internal static unsafe class F16Decode
{
    public static bool Available(CpuIsa isa) => isa.Use512;

    /// <summary>xp = x times the format's prescale (F16: 2^112; BF16: 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prepare<TH>(float* x, int k, float* xp) where TH : struct, IHalfWidening
    {
        for (int i = 0; i < k; i++) xp[i] = x[i] * TH.Prescale;
    }

    /// <summary>Four consecutive rows (rowStride halves apart) · x → y[0..4): per column block of
    /// <see cref="FloatPanelGemm.ColumnBlock"/>, each row's 16 lanes accumulate 16 columns at a time in order, the four
    /// rows reduce together, columns past the last whole 16 are added per row, and the block's sums add to y. Each row
    /// is read start to end before the next (its blocks' accumulators kept apart): one sequential stream.</summary>
    /// <param name="xp">The activation prepared by <see cref="Prepare{TH}"/> (BF16, whose prescale is 1: x itself).</param>
    /// <param name="x">The activation itself (rounded to the weight's type), for the columns past whole vectors.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit] // the accumulators are all written before read
    public static void Rows4<TH>(ushort* w, long rowStride, int k, float* xp, float* x, float* y) where TH : struct, IHalfWidening
    {
        const int cb = FloatPanelGemm.ColumnBlock;
        int blocks = (k + cb - 1) / cb;
        Vector512<float>* acc = stackalloc Vector512<float>[4 * blocks];
        int done = 0; // whole-vector columns of the last block (the others are whole blocks)
        // Each row read start to end (one sequential stream): two or four rows side by side, though they give the FMAs
        // independent chains, ran decode at half the speed on Zen 4 (two or four streams per core).
        for (int r = 0; r < 4; r++)
        {
            ushort* row = w + r * rowStride;
            for (int c = 0; c < blocks; c++)
                acc[r * blocks + c] = Block<TH>(row + c * cb, Math.Min(cb, k - c * cb), xp + c * cb, out done);
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

    /// <summary><see cref="Rows4{TH}"/> for rows n..n + 3, a whole group of a <see cref="GroupedHalfWeight"/>: the same sums in
    /// the same order, the group's four chains of FMAs side by side from one stream (<see cref="RowGroups"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GroupRows4<TH>(GroupedHalfWeight w, int n, float* xp, float* y) where TH : struct, IHalfWidening
    {
        const int cb = FloatPanelGemm.ColumnBlock, per = cb / GroupedHalfWeight.BlockColumns, bc = GroupedHalfWeight.BlockColumns;
        int k = w.Columns, blocks = w.Blocks;
        ushort* first = w.Values + w.Position(n, 0) * bc;
        for (int c0 = 0, j = 0; c0 < k; c0 += cb)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int end = Math.Min(blocks, j + per); j < end; j++)
            {
                ushort* at = first + 4L * j * bc;
                float* xj = xp + j * bc;
                a0 = Block64<TH>(at, xj, a0);
                a1 = Block64<TH>(at + bc, xj, a1);
                a2 = Block64<TH>(at + 2 * bc, xj, a2);
                a3 = Block64<TH>(at + 3 * bc, xj, a3);
            }
            var s = VectorSums.Sum4(a0, a1, a2, a3);
            if (c0 > 0) s += Vector128.Load(y);
            s.Store(y);
        }
    }

    /// <summary>a + 64 columns · x, 16 at a time in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block64<TH>(ushort* w, float* xp, Vector512<float> a) where TH : struct, IHalfWidening
    {
        a = Vector512.FusedMultiplyAdd(TH.Widen(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)w))), Vector512.Load(xp), a);
        a = Vector512.FusedMultiplyAdd(TH.Widen(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)(w + 16)))), Vector512.Load(xp + 16), a);
        a = Vector512.FusedMultiplyAdd(TH.Widen(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)(w + 32)))), Vector512.Load(xp + 32), a);
        return Vector512.FusedMultiplyAdd(TH.Widen(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)(w + 48)))), Vector512.Load(xp + 48), a);
    }

    /// <summary>One row's accumulator over a column block's whole 16-column vectors, summed in order as the panel kernel
    /// sums a row; <paramref name="done"/> is how many columns it covered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block<TH>(ushort* w, int kc, float* xp, out int done) where TH : struct, IHalfWidening
    {
        var a = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= kc; i += 32)
        {
            a = Vector512.FusedMultiplyAdd(TH.Widen(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)(w + i)))), Vector512.Load(xp + i), a);
            a = Vector512.FusedMultiplyAdd(TH.Widen(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)(w + i + 16)))), Vector512.Load(xp + i + 16), a);
        }
        if (i + 16 <= kc)
        {
            a = Vector512.FusedMultiplyAdd(TH.Widen(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)(w + i)))), Vector512.Load(xp + i), a);
            i += 16;
        }
        done = i;
        return a;
    }
}

/// <summary>How <see cref="F16Decode"/> widens a 16-bit float format: 16 values sign-extended to 32-bit lanes, the prescale
/// the activation takes to cancel the widening's scale, and the scalar tail conversion.</summary>
internal interface IHalfWidening
{
    static abstract float Prescale { get; }
    static abstract Vector512<float> Widen(Vector512<int> halves);
    static abstract float ToFloat(ushort h);
}

/// <summary>F16: the weight times 2^-112 (see <see cref="F16Decode"/>).</summary>
internal struct F16Widening : IHalfWidening
{
    public static float Prescale => 5.192296858534828e+33f; // 2^112

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen(Vector512<int> halves) => ((halves << 13) & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

    public static float ToFloat(ushort h) => HalfBits.ToFloat(h);
}

/// <summary>BF16: the top half of an F32, so a shift is the value.</summary>
internal struct BF16Widening : IHalfWidening
{
    public static float Prescale => 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen(Vector512<int> halves) => (halves << 16).AsSingle();

    public static float ToFloat(ushort h) => BitConverter.UInt32BitsToSingle((uint)h << 16);
}
