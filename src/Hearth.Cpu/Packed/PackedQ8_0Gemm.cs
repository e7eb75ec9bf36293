using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>The AVX-VNNI micro-kernel over a <see cref="PackedQ8_0Weight"/>: up to two 8-row groups × up to 4 tokens.
/// Per block and token, eight vpdpbusd (packed weights as u8 = w + 128, a broadcast of 4 activation int8s) give the
/// 8 rows' block dot products in the 8 int32 lanes; the accumulator starts at −128·Σx of the token's block, which
/// cancels the +128 offset exactly. Then one convert and one FMA by (row scales × token scale) per block.
/// Each weight vector is loaded once for all tokens of the tile (the batching win), and no per-token sign fix-up
/// or horizontal sum is needed. vpdpbusd has ~4 cycles of latency at 2 per cycle, so the full 2 × 4 tile keeps 8
/// independent chains in flight (measured at T=512, K=2048, N=8192, 2 threads: 1 × 6 → 230 GMAC/s, 2 × 6 → 282,
/// 2 × 4 → 306; the JIT encodes the EVEX form, so all 32 ymm registers are available).</summary>
internal static unsafe class PackedQ8_0Gemm
{
    /// <summary>Tokens per tile (the activation interleave width).</summary>
    public const int MaxTokens = 4;

    /// <summary>Groups per tile.</summary>
    public const int MaxGroups = 2;

    /// <summary>y[u, 8g .. 8g+8) = group g's rows · token u, for g &lt; groups (1..2), u &lt; tokens (1..4).</summary>
    /// <param name="q">The first group's packed quants (block 0); the second group follows at q + nb·256.</param>
    /// <param name="scales">The first group's F16 scales (block 0); the second group's at scales + nb·8.</param>
    /// <param name="x">The tile's activations interleaved by <see cref="InterleaveTile"/>.</param>
    /// <param name="xd">The tile's block scales, [block][token].</param>
    /// <param name="xc">The tile's block corrections (−128·Σq), [block][token].</param>
    /// <param name="y">Output for token 0, row 0 of the first group; token u at y + u·yStride.</param>
    /// <param name="rows">Valid output rows of the tile (16 or fewer at the end of the matrix).</param>
    public static void Tile(int groups, int tokens, byte* q, ushort* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        switch (groups * 8 + tokens)
        {
            case 8 + 1: Tile<Count1, Count1>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 2: Tile<Count1, Count2>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 3: Tile<Count1, Count3>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 4: Tile<Count1, Count4>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 1: Tile<Count2, Count1>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 2: Tile<Count2, Count2>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 3: Tile<Count2, Count3>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 4: Tile<Count2, Count4>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            default: throw new ArgumentOutOfRangeException(nameof(tokens), $"tile of {groups} groups × {tokens} tokens");
        }
    }

    /// <summary>Scatters token u (of a tile of <paramref name="tokens"/>) from a plain int8 row into the tile's
    /// interleaved layout: the 4 bytes of step j of block b go to tile + ((b·8 + j)·tokens + u)·4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InterleaveTile(sbyte* row, int k, int tokens, int u, sbyte* tile)
    {
        uint* src = (uint*)row;
        uint* dst = (uint*)tile + u;
        for (int s = 0; s < k / 4; s++) dst[(long)s * tokens] = src[s];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x) =>
        AvxVnni.MultiplyWideningAndAdd(acc, w, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales(ushort* s) => HalfBits.ToFloat(Avx2.ConvertToVector256Int32(Vector128.Load(s)).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<int> dot, Vector256<float> rowScales, float tokenScale, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(dot), rowScales * tokenScale, acc);

    // One body for every tile shape: the JIT specialises each struct instantiation and drops what it does not use.
    // i* / f* are group 0's int and float accumulators per token, j* / g* group 1's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TG, TN>(byte* q, ushort* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TG : struct, ITileCount where TN : struct, ITileCount
    {
        int n = TN.N;
        bool two = TG.N == 2;
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        var g0 = Vector256<float>.Zero; var g1 = Vector256<float>.Zero; var g2 = Vector256<float>.Zero; var g3 = Vector256<float>.Zero;
        byte* q2 = q + (long)nb * 256;
        ushort* s2 = scales + (long)nb * 8;
        for (int b = 0; b < nb; b++)
        {
            var i0 = Vector256.Create(xc[0]);
            var i1 = n > 1 ? Vector256.Create(xc[1]) : default;
            var i2 = n > 2 ? Vector256.Create(xc[2]) : default;
            var i3 = n > 3 ? Vector256.Create(xc[3]) : default;
            var j0 = i0; var j1 = i1; var j2 = i2; var j3 = i3;
            for (int j = 0; j < 8; j++)
            {
                var w = Vector256.Load(q);
                var v = two ? Vector256.Load(q2) : default;
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
                q += 32;
                if (two) q2 += 32;
                x += 4 * n;
            }
            var ws = Scales(scales);
            f0 = Accumulate(i0, ws, xd[0], f0);
            if (n > 1) f1 = Accumulate(i1, ws, xd[1], f1);
            if (n > 2) f2 = Accumulate(i2, ws, xd[2], f2);
            if (n > 3) f3 = Accumulate(i3, ws, xd[3], f3);
            if (two)
            {
                var vs = Scales(s2);
                g0 = Accumulate(j0, vs, xd[0], g0);
                if (n > 1) g1 = Accumulate(j1, vs, xd[1], g1);
                if (n > 2) g2 = Accumulate(j2, vs, xd[2], g2);
                if (n > 3) g3 = Accumulate(j3, vs, xd[3], g3);
                s2 += 8;
            }
            scales += 8;
            xd += n;
            xc += n;
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
