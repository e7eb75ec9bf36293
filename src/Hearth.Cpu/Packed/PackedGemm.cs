using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>The AVX-VNNI outer-product micro-kernel shared by the packed weight formats: up to two 8-row groups × up to
/// four tokens. Per block and token, one vpdpbusd per 4-column step (the packed weights' unsigned bytes against a
/// broadcast of 4 activation int8s) adds 4 columns of each of the 8 rows into the 8 int32 lanes; the format says how
/// a step's bytes come out of the block, where the accumulator starts (a correction that cancels the format's unsigned
/// offset exactly), how a step's dot is computed without AVX-VNNI (<see cref="PackedDots"/>) and how the block's integer
/// dot products become floats. Each weight vector is loaded once for all
/// tokens of the tile (the batching win), and no per-token sign fix-up or horizontal sum is needed. vpdpbusd has
/// ~4 cycles of latency at 2 per cycle, so the full 2 × 4 tile keeps 8 independent chains in flight (measured on Q8_0
/// at T=512, K=2048, N=8192, 2 threads: 1 × 6 → 230 GMAC/s, 2 × 6 → 282, 2 × 4 → 306; the JIT encodes the EVEX
/// form, so all 32 ymm registers are available).</summary>
internal static unsafe class PackedGemm
{
    /// <summary>Tokens per tile (the activation interleave width).</summary>
    public const int MaxTokens = 4;

    /// <summary>Groups per tile.</summary>
    public const int MaxGroups = 2;

    /// <summary>Weight rows per parallel chunk of a packed matmul over <paramref name="groups"/> 8-row groups: whole
    /// 2-group tiles, about 8 chunks per thread so uneven chunks balance.</summary>
    public static int ChunkRows(int groups, int threads) => Math.Max(2, groups / (threads * 8) & ~1) * PackedWeight.GroupRows;

    /// <summary>Weight rows per chunk of one product in a grouped matmul (<see cref="GroupedMatMulKernel"/>): one
    /// contiguous share per thread (whole 2-group tiles), since the group's many products already balance the threads
    /// and each thread then streams one long run of an expert instead of every other 250 KB of it. gpt-oss-20b's experts
    /// at 16 streams (`moe-batch 4 2 16`, Zen 4, interleaved): 337–356 ms per step with 16 chunks per product, 312–341
    /// with 2; one token the same (45–47 ms).</summary>
    public static int GroupedChunkRows(int groups, int threads) => Math.Max(2, groups / threads & ~1) * PackedWeight.GroupRows;

    /// <summary>y[u, 8g .. 8g+8) = group g's rows · token u, for g &lt; groups (1..2), u &lt; tokens (1..4).</summary>
    /// <param name="q">The first group's packed quants (block 0); the second group's follow nb blocks later.</param>
    /// <param name="scales">The first group's scales (block 0); the second group's follow nb blocks later.</param>
    /// <param name="x">The tile's activations interleaved by <see cref="InterleaveTile"/>.</param>
    /// <param name="xd">The tile's per-block token scales, [block][token].</param>
    /// <param name="xc">The tile's per-block token corrections, [block][token] (the format's meaning).</param>
    /// <param name="y">Output for token 0, row 0 of the first group; token u at y + u·yStride.</param>
    /// <param name="rows">Valid output rows of the tile (16 or fewer at the end of the matrix).</param>
    public static void Tile<TF>(int groups, int tokens, byte* q, byte* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TF : struct, IPackedFormat
    {
        switch (groups * 8 + tokens)
        {
            case 8 + 1: Tile<TF, Count1, Count1>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 2: Tile<TF, Count1, Count2>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 3: Tile<TF, Count1, Count3>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 4: Tile<TF, Count1, Count4>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 1: Tile<TF, Count2, Count1>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 2: Tile<TF, Count2, Count2>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 3: Tile<TF, Count2, Count3>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 4: Tile<TF, Count2, Count4>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            default: throw new ArgumentOutOfRangeException(nameof(tokens), $"tile of {groups} groups × {tokens} tokens");
        }
    }

    /// <summary>Scatters token u (of a tile of <paramref name="tokens"/>) from a plain int8 row into the tile's
    /// interleaved layout: the 4 bytes of 4-column step s go to tile + (s·tokens + u)·4, or with
    /// <paramref name="abs"/> to tile + (s·tokens + u)·8, followed by their magnitudes (<see cref="PackedDots.Signed"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InterleaveTile(sbyte* row, int k, int tokens, int u, sbyte* tile, bool abs = false)
    {
        uint* src = (uint*)row;
        if (!abs)
        {
            uint* dst = (uint*)tile + u;
            for (int s = 0; s < k / 4; s++) dst[(long)s * tokens] = src[s];
            return;
        }
        ulong* pairs = (ulong*)tile + u;
        for (int s = 0; s < k / 4; s++) pairs[(long)s * tokens] = src[s] | (ulong)AbsBytes(src[s]) << 32;
    }

    /// <summary>The magnitudes of 4 packed int8 values as unsigned bytes, per byte (x ^ m) + (m &amp; 1) with m its sign
    /// spread: no carry crosses a byte (the largest magnitude, 128 for −128, is 0x80).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint AbsBytes(uint x)
    {
        uint sign = (x >> 7) & 0x01010101u;
        return (x ^ (sign * 0xFFu)) + sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    // One body for every format and tile shape: the JIT specialises each struct instantiation and drops what it does
    // not use. i* / f* are group 0's int and float accumulators per token, j* / g* group 1's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TF, TG, TN>(byte* q, byte* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TF : struct, IPackedFormat where TG : struct, ITileCount where TN : struct, ITileCount
    {
        int n = TN.N;
        bool two = TG.N == 2;
        bool abs = TF.AbsActivations;
        int xs = abs ? 8 : 4; // activation bytes per token and step
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        var g0 = Vector256<float>.Zero; var g1 = Vector256<float>.Zero; var g2 = Vector256<float>.Zero; var g3 = Vector256<float>.Zero;
        byte* q2 = q + (long)nb * TF.QuantBytes;
        byte* s2 = scales + (long)nb * TF.ScaleBytes;
        for (int b = 0; b < nb; b++)
        {
            var i0 = TF.Start(xc[0]);
            var i1 = n > 1 ? TF.Start(xc[1]) : default;
            var i2 = n > 2 ? TF.Start(xc[2]) : default;
            var i3 = n > 3 ? TF.Start(xc[3]) : default;
            var j0 = i0; var j1 = i1; var j2 = i2; var j3 = i3;
            for (int j = 0; j < TF.Steps; j++)
            {
                var w = TF.Step(q, j);
                var v = two ? TF.Step(q2, j) : default;
                var b0 = Broadcast(x);
                var a0 = abs ? Broadcast(x + 4).AsByte() : default;
                i0 = TF.Dot(i0, w, b0, a0);
                if (two) j0 = TF.Dot(j0, v, b0, a0);
                if (n > 1)
                {
                    var b1 = Broadcast(x + xs);
                    var a1 = abs ? Broadcast(x + xs + 4).AsByte() : default;
                    i1 = TF.Dot(i1, w, b1, a1);
                    if (two) j1 = TF.Dot(j1, v, b1, a1);
                }
                if (n > 2)
                {
                    var b2 = Broadcast(x + 2 * xs);
                    var a2 = abs ? Broadcast(x + 2 * xs + 4).AsByte() : default;
                    i2 = TF.Dot(i2, w, b2, a2);
                    if (two) j2 = TF.Dot(j2, v, b2, a2);
                }
                if (n > 3)
                {
                    var b3 = Broadcast(x + 3 * xs);
                    var a3 = abs ? Broadcast(x + 3 * xs + 4).AsByte() : default;
                    i3 = TF.Dot(i3, w, b3, a3);
                    if (two) j3 = TF.Dot(j3, v, b3, a3);
                }
                x += xs * n;
            }
            q += TF.QuantBytes;
            // The rows' scales (and mins) are read once per block for all tokens of the tile, each token's scale and
            // correction once for both groups.
            var ws = TF.Scales(scales);
            var wm = TF.Mins(scales);
            var vs = two ? TF.Scales(s2) : default;
            var vm = two ? TF.Mins(s2) : default;
            var d = Vector256.Create(xd[0]);
            var c = TF.Correction(xc);
            f0 = TF.Accumulate(TF.Finish(i0), ws, wm, d, c, f0);
            if (two) g0 = TF.Accumulate(TF.Finish(j0), vs, vm, d, c, g0);
            if (n > 1)
            {
                d = Vector256.Create(xd[1]);
                c = TF.Correction(xc + 1);
                f1 = TF.Accumulate(TF.Finish(i1), ws, wm, d, c, f1);
                if (two) g1 = TF.Accumulate(TF.Finish(j1), vs, vm, d, c, g1);
            }
            if (n > 2)
            {
                d = Vector256.Create(xd[2]);
                c = TF.Correction(xc + 2);
                f2 = TF.Accumulate(TF.Finish(i2), ws, wm, d, c, f2);
                if (two) g2 = TF.Accumulate(TF.Finish(j2), vs, vm, d, c, g2);
            }
            if (n > 3)
            {
                d = Vector256.Create(xd[3]);
                c = TF.Correction(xc + 3);
                f3 = TF.Accumulate(TF.Finish(i3), ws, wm, d, c, f3);
                if (two) g3 = TF.Accumulate(TF.Finish(j3), vs, vm, d, c, g3);
            }
            if (two)
            {
                q2 += TF.QuantBytes;
                s2 += TF.ScaleBytes;
            }
            scales += TF.ScaleBytes;
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

    /// <summary>A group's 8 outputs to y, or its first <paramref name="rows"/> where the matrix ends inside the group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(Vector256<float> v, float* y, int rows)
    {
        if (rows >= 8) { v.Store(y); return; }
        for (int r = 0; r < rows; r++) y[r] = v.GetElement(r);
    }
}

/// <summary>How a packed format's block feeds <see cref="PackedGemm"/>.</summary>
internal unsafe interface IPackedFormat
{
    /// <summary>4-column steps per block.</summary>
    static abstract int Steps { get; }

    /// <summary>Whether the activation tile carries |x| beside x (<see cref="PackedGemm.InterleaveTile"/>).</summary>
    static abstract bool AbsActivations { get; }

    /// <summary>Bytes of packed values per group and block.</summary>
    static abstract int QuantBytes { get; }

    /// <summary>Bytes of scales per group and block.</summary>
    static abstract int ScaleBytes { get; }

    /// <summary>The 8 rows' unsigned bytes of step j of the block at <paramref name="block"/>.</summary>
    static abstract Vector256<byte> Step(byte* block, int j);

    /// <summary>The accumulator's start for a token's block, from its correction.</summary>
    static abstract Vector256<int> Start(int correction);

    /// <summary>acc + per lane the 4 products of a step's bytes with a broadcast of 4 activations (and of their
    /// magnitudes, where the format takes them), the cheapest exact way the format's bytes allow (<see cref="PackedDots"/>).</summary>
    static abstract Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX);

    /// <summary>The 8 rows' scales of a block.</summary>
    static abstract Vector256<float> Scales(byte* scales);

    /// <summary>The 8 rows' mins of a block (formats without mins return zero and ignore it).</summary>
    static abstract Vector256<float> Mins(byte* scales);

    /// <summary>The block's int32 dot products from a finished step accumulator (<see cref="IByteDot.Finish"/>).</summary>
    static abstract Vector256<int> Finish(Vector256<int> acc);

    /// <summary>A token's block correction as <see cref="Accumulate"/> takes it (formats that use it only in
    /// <see cref="Start"/> return zero without reading it).</summary>
    static abstract Vector256<float> Correction(int* correction);

    /// <summary>acc + the block's integer dot products turned into floats by the rows' scales and the token's
    /// (<paramref name="tokenScale"/> broadcast).</summary>
    static abstract Vector256<float> Accumulate(Vector256<int> dot, Vector256<float> rowScales, Vector256<float> rowMins, Vector256<float> tokenScale, Vector256<float> correction, Vector256<float> acc);
}

/// <summary>Q8_0 (and Q4_0, Q5_0 widened to int8): F16 row scales; values as <typeparamref name="TDot"/> takes them:
/// w + 128 (with vpdpbusd the correction −128·Σx starts the accumulator, without it the dot takes the signed values
/// directly, <see cref="PackedDots.Offset128"/>) or w itself (<see cref="PackedDots.Signed"/>).</summary>
internal unsafe struct Q8_0Format<TDot> : IPackedFormat where TDot : struct, IByteDot
{
    public static int Steps => 8;
    public static bool AbsActivations => TDot.AbsActivations;
    public static int QuantBytes => 256;
    public static int ScaleBytes => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Step(byte* block, int j) => Vector256.Load(block + j * 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Start(int correction) => TDot.Start(correction);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x, Vector256<byte> absX) => TDot.Dot(acc, w, x, absX);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> acc) => TDot.Finish(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scales(byte* scales) => HalfBits.ToFloat(Avx2.ConvertToVector256Int32(Vector128.Load((ushort*)scales)).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mins(byte* scales) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Correction(int* correction) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<int> dot, Vector256<float> rowScales, Vector256<float> rowMins, Vector256<float> tokenScale, Vector256<float> correction, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(dot), rowScales * tokenScale, acc);
}
