using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>The AVX-VNNI micro-kernel over a <see cref="PackedQ4_KWeight"/>, shaped like <see cref="PackedQ8_0Gemm"/>
/// (two 8-row groups × four tokens): the 4-bit values are unsigned, so they are vpdpbusd's u8 operand straight out of
/// the nibbles; per 32-column sub-block one FMA applies the rows' scales × the token's scale and one more subtracts the
/// rows' mins × the token's scale·Σx. Activations are Q8_K as llama.cpp uses for Q4_K (one scale per 256 columns,
/// repeated per sub-block), so the integer dot products are the same as its.</summary>
internal static unsafe class PackedQ4_KGemm
{
    /// <summary>y[u, 8g .. 8g+8) for g &lt; groups (1..2), u &lt; tokens (1..4). <paramref name="xm"/> holds, per
    /// sub-block and token, −(token scale)·Σx over the sub-block; the rest as <see cref="PackedQ8_0Gemm.Tile"/>.</summary>
    public static void Tile(int groups, int tokens, byte* q, float* scales, int nb, sbyte* x, float* xd, float* xm, float* y, long yStride, int rows)
    {
        switch (groups * 8 + tokens)
        {
            case 8 + 1: Tile<Count1, Count1>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            case 8 + 2: Tile<Count1, Count2>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            case 8 + 3: Tile<Count1, Count3>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            case 8 + 4: Tile<Count1, Count4>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            case 16 + 1: Tile<Count2, Count1>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            case 16 + 2: Tile<Count2, Count2>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            case 16 + 3: Tile<Count2, Count3>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            case 16 + 4: Tile<Count2, Count4>(q, scales, nb, x, xd, xm, y, yStride, rows); break;
            default: throw new ArgumentOutOfRangeException(nameof(tokens), $"tile of {groups} groups × {tokens} tokens");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x) =>
        AvxVnni.MultiplyWideningAndAdd(acc, w, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    /// <summary>acc + dot·(row scales·token scale) − row mins·(token scale·Σx), the last factor pre-negated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<int> dot, float* rowScales, float tokenScale, float negTokenSum, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Vector256.Load(rowScales + 8), Vector256.Create(negTokenSum),
            Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Load(rowScales) * tokenScale, acc));

    // One body for every tile shape: the JIT specialises each struct instantiation and drops what it does not use.
    // i* / f* are group 0's int and float accumulators per token, j* / g* group 1's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TG, TN>(byte* q, float* scales, int nb, sbyte* x, float* xd, float* xm, float* y, long yStride, int rows)
        where TG : struct, ITileCount where TN : struct, ITileCount
    {
        int n = TN.N;
        bool two = TG.N == 2;
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        var g0 = Vector256<float>.Zero; var g1 = Vector256<float>.Zero; var g2 = Vector256<float>.Zero; var g3 = Vector256<float>.Zero;
        byte* q2 = q + (long)nb * 128;
        float* s2 = scales + (long)nb * 16;
        var nibble = Vector256.Create((byte)0x0F);
        for (int b = 0; b < nb; b++)
        {
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            Vector256<int> j0 = default, j1 = default, j2 = default, j3 = default;
            for (int j = 0; j < 8; j++)
            {
                // Step j sits in the low (even j) or high (odd j) nibbles of vector j / 2.
                int shift = (j & 1) * 4;
                var w = (Vector256.Load(q + (j >> 1) * 32).AsUInt16() >> shift).AsByte() & nibble;
                var v = two ? (Vector256.Load(q2 + (j >> 1) * 32).AsUInt16() >> shift).AsByte() & nibble : default;
                var b0 = Broadcast(x);
                i0 = Dot(i0, w, b0);
                if (two) j0 = Dot(j0, v, b0);
                if (n > 1)
                {
                    var b1 = Broadcast(x + 4);
                    i1 = Dot(i1, w, b1);
                    if (two) j1 = Dot(j1, v, b1);
                }
                if (n > 2)
                {
                    var b2 = Broadcast(x + 8);
                    i2 = Dot(i2, w, b2);
                    if (two) j2 = Dot(j2, v, b2);
                }
                if (n > 3)
                {
                    var b3 = Broadcast(x + 12);
                    i3 = Dot(i3, w, b3);
                    if (two) j3 = Dot(j3, v, b3);
                }
                x += 4 * n;
            }
            q += 128;
            if (two) q2 += 128;
            f0 = Accumulate(i0, scales, xd[0], xm[0], f0);
            if (n > 1) f1 = Accumulate(i1, scales, xd[1], xm[1], f1);
            if (n > 2) f2 = Accumulate(i2, scales, xd[2], xm[2], f2);
            if (n > 3) f3 = Accumulate(i3, scales, xd[3], xm[3], f3);
            if (two)
            {
                g0 = Accumulate(j0, s2, xd[0], xm[0], g0);
                if (n > 1) g1 = Accumulate(j1, s2, xd[1], xm[1], g1);
                if (n > 2) g2 = Accumulate(j2, s2, xd[2], xm[2], g2);
                if (n > 3) g3 = Accumulate(j3, s2, xd[3], xm[3], g3);
                s2 += 16;
            }
            scales += 16;
            xd += n;
            xm += n;
        }
        Store(f0, y, rows);
        if (n > 1) Store(f1, y + yStride, rows);
        if (n > 2) Store(f2, y + 2 * yStride, rows);
        if (n > 3) Store(f3, y + 3 * yStride, rows);
        if (two)
        {
            Store(g0, y + 8, rows - 8);
            if (n > 1) Store(g1, y + 8 + yStride, rows - 8);
            if (n > 2) Store(g2, y + 8 + 2 * yStride, rows - 8);
            if (n > 3) Store(g3, y + 8 + 3 * yStride, rows - 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> v, float* y, int rows)
    {
        if (rows >= 8) { v.Store(y); return; }
        for (int r = 0; r < rows; r++) y[r] = v.GetElement(r);
    }
}
