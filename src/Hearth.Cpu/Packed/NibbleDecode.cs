using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>Nibble-packed weights against 1..4 tokens on AVX2 without AVX-VNNI (decode, prompts in tiles of four, a MoE
/// expert's few tokens in batched decode), for the formats whose step bytes are small unsigned values (<see
/// cref="INibbleDecodeFormat"/>: MXFP4 looked up as w + 12, Q4_0's and Q5_0's own q = w + 8 or w + 16): the same
/// integer sums as <see cref="PackedGemm"/>'s tile (so the same bits), in a third of its instructions per token.
/// <para>The generic tile computes each step's dot as XOR, abs, sign, vpmaddubsw, vpmaddwd and add per token. Here each
/// weight is an unsigned operand of vpmaddubsw that cannot saturate against int8 activations (a pair is at most
/// 2 · 31 · 128 = 7,936), so a token's step is one vpmaddubsw and one 16-bit add. The offset adds off · Σx over the
/// columns each 16-bit lane covers; the activation's correction (<see cref="PackedDots.PairCorrections"/>: per block and
/// token the two lane sums −off·S₀ and −off·S₁ packed in one int32) starts the accumulator, so after the block's 8 steps
/// each lane holds Σ w·x over its 16 columns. The adds wrap, but that sum is at most 16 · 16 · 127 = 32,512 in
/// magnitude (MXFP4: 16 · 12 · 128), so the int16 result is exact; one vpmaddwd per block and token widens it. One load
/// gives two steps (low and high nibbles), decoded once for all tokens.</para>
/// <para>Measured for MXFP4 (Zen 3, one thread, a tile in L1: <c>bench/Hearth.Benchmarks mxfp4-tiles</c>): 56 / 77 / 77
/// / 86 G multiply-adds/s at 1 / 2 / 3 / 4 tokens, 1.8–2.4× the generic tile; the one-token kernel it replaced (vpsignb,
/// vpmaddubsw and an add per step) ran 47. At 4 tokens one group at a time: a second group's accumulators would spill.
/// In gpt-oss-20b's 16-stream decode step (about 2.3 tokens per active expert) the experts went from 13.5 to 20 GB/s.</para></summary>
internal static unsafe class NibbleDecode<TF> where TF : struct, INibbleDecodeFormat
{
    /// <summary>y[u, 8g .. 8g+8) for g &lt; groups (1..2), u &lt; tokens (1..4), over activations interleaved as
    /// <see cref="PackedGemm.InterleaveTile"/> lays them out (without magnitudes), per-block token scales
    /// <paramref name="xd"/> and corrections <paramref name="xc"/> (<see cref="PackedDots.PairCorrections"/>), both [block][token].</summary>
    public static void Tile(int groups, int tokens, byte* q, byte* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        // Two groups share each activation load; past two tokens their accumulators would not fit the 16 ymm registers,
        // so the groups run one after the other (reading the same activations from L1).
        if (groups == 2 && tokens > 2)
        {
            Tile(1, tokens, q, scales, nb, x, xd, xc, y, yStride, Math.Min(rows, 8));
            Tile(1, tokens, q + (long)nb * TF.QuantBytes, scales + (long)nb * TF.ScaleBytes, nb, x, xd, xc, y + 8, yStride, rows - 8);
            return;
        }
        switch (groups * 8 + tokens)
        {
            case 8 + 1: Tile<Count1, Count1>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 2: Tile<Count1, Count2>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 3: Tile<Count1, Count3>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 8 + 4: Tile<Count1, Count4>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 1: Tile<Count2, Count1>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            case 16 + 2: Tile<Count2, Count2>(q, scales, nb, x, xd, xc, y, yStride, rows); break;
            default: throw new ArgumentOutOfRangeException(nameof(tokens), $"tile of {groups} groups × {tokens} tokens");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TG, TN>(byte* q, byte* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TG : struct, ITileCount where TN : struct, ITileCount
    {
        bool two = TG.N == 2;
        int n = TN.N;
        var table = TF.Table;
        var mask = Vector256.Create((byte)0x0F);
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        var g0 = Vector256<float>.Zero; var g1 = Vector256<float>.Zero;
        byte* q2 = q + (long)nb * TF.QuantBytes;
        byte* s0 = scales, s1 = scales + (long)nb * TF.ScaleBytes;
        int xs = 4 * n; // activation bytes per step (all tokens)
        for (int b = 0; b < nb; b++)
        {
            var a0 = Vector256.Create(xc[0]).AsInt16();
            var a1 = n > 1 ? Vector256.Create(xc[1]).AsInt16() : default;
            var a2 = n > 2 ? Vector256.Create(xc[2]).AsInt16() : default;
            var a3 = n > 3 ? Vector256.Create(xc[3]).AsInt16() : default;
            var c0 = a0; var c1 = a1;
            // Bytes 32i.. hold step 2i in their low nibbles and step 2i + 1 in their high ones (NibbleLayout); the four
            // pairs are written out so every address is a constant offset.
            Pair<TG, TN>(q, q2, x, xs, 0, table, mask, ref a0, ref a1, ref a2, ref a3, ref c0, ref c1);
            Pair<TG, TN>(q, q2, x, xs, 1, table, mask, ref a0, ref a1, ref a2, ref a3, ref c0, ref c1);
            Pair<TG, TN>(q, q2, x, xs, 2, table, mask, ref a0, ref a1, ref a2, ref a3, ref c0, ref c1);
            Pair<TG, TN>(q, q2, x, xs, 3, table, mask, ref a0, ref a1, ref a2, ref a3, ref c0, ref c1);
            var ws = TF.Scales(s0);
            f0 = Accumulate(a0, ws, xd[0], f0);
            if (n > 1) f1 = Accumulate(a1, ws, xd[1], f1);
            if (n > 2) f2 = Accumulate(a2, ws, xd[2], f2);
            if (n > 3) f3 = Accumulate(a3, ws, xd[3], f3);
            if (two)
            {
                var vs = TF.Scales(s1);
                g0 = Accumulate(c0, vs, xd[0], g0);
                if (n > 1) g1 = Accumulate(c1, vs, xd[1], g1);
                q2 += TF.QuantBytes;
                s1 += TF.ScaleBytes;
            }
            q += TF.QuantBytes;
            s0 += TF.ScaleBytes;
            x += 8 * xs;
            xd += n;
            xc += n;
        }
        PackedGemm.Store(f0, y, rows);
        if (n > 1) PackedGemm.Store(f1, y + yStride, rows);
        if (n > 2) PackedGemm.Store(f2, y + 2 * yStride, rows);
        if (n > 3) PackedGemm.Store(f3, y + 3 * yStride, rows);
        if (two)
        {
            PackedGemm.Store(g0, y + 8, rows - 8);
            if (n > 1) PackedGemm.Store(g1, y + 8 + yStride, rows - 8);
        }
    }

    /// <summary>Steps 2i (low nibbles) and 2i + 1 (high) of every token (accumulators a*) of group 0 and, with two
    /// groups, of group 1 (c*: tokens 0 and 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair<TG, TN>(byte* q, byte* q2, sbyte* x, int xs, int i, Vector256<byte> table, Vector256<byte> mask,
        ref Vector256<short> a0, ref Vector256<short> a1, ref Vector256<short> a2, ref Vector256<short> a3,
        ref Vector256<short> c0, ref Vector256<short> c1)
        where TG : struct, ITileCount where TN : struct, ITileCount
    {
        bool two = TG.N == 2;
        int n = TN.N;
        var raw = Vector256.Load(q + 32 * i);
        var lo = TF.Low(table, raw & mask, q, i);
        var hi = TF.High(table, (raw.AsUInt16() >> 4).AsByte() & mask, q, i);
        var lo2 = default(Vector256<byte>);
        var hi2 = default(Vector256<byte>);
        if (two)
        {
            var raw2 = Vector256.Load(q2 + 32 * i);
            lo2 = TF.Low(table, raw2 & mask, q2, i);
            hi2 = TF.High(table, (raw2.AsUInt16() >> 4).AsByte() & mask, q2, i);
        }
        sbyte* xa = x + 2 * i * xs, xb = xa + xs; // step 2i's activations of token 0, step 2i + 1's
        var u = Broadcast(xa);
        var v = Broadcast(xb);
        a0 += Avx2.MultiplyAddAdjacent(lo, u) + Avx2.MultiplyAddAdjacent(hi, v);
        if (two) c0 += Avx2.MultiplyAddAdjacent(lo2, u) + Avx2.MultiplyAddAdjacent(hi2, v);
        if (n < 2) return;
        u = Broadcast(xa + 4);
        v = Broadcast(xb + 4);
        a1 += Avx2.MultiplyAddAdjacent(lo, u) + Avx2.MultiplyAddAdjacent(hi, v);
        if (two) c1 += Avx2.MultiplyAddAdjacent(lo2, u) + Avx2.MultiplyAddAdjacent(hi2, v);
        if (n > 2) a2 += Avx2.MultiplyAddAdjacent(lo, Broadcast(xa + 8)) + Avx2.MultiplyAddAdjacent(hi, Broadcast(xb + 8));
        if (n > 3) a3 += Avx2.MultiplyAddAdjacent(lo, Broadcast(xa + 12)) + Avx2.MultiplyAddAdjacent(hi, Broadcast(xb + 12));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    /// <summary>acc + the block's exact int16 lane sums, widened to the rows' int32 dots, times row and token scales:
    /// the generic tile's <see cref="IPackedFormat.Accumulate"/>, operation for operation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<short> lanes, Vector256<float> rowScales, float tokenScale, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(lanes, Vector256.Create((short)1))),
            rowScales * Vector256.Create(tokenScale), acc);
}

/// <summary>How <see cref="NibbleDecode{TF}"/> reads a format: bytes per group and block, and steps 2i and 2i + 1 of a
/// block as unsigned bytes from the low and high nibbles of its i-th 32 bytes (<see cref="NibbleLayout"/>).</summary>
internal unsafe interface INibbleDecodeFormat
{
    static abstract int QuantBytes { get; }
    static abstract int ScaleBytes { get; }

    /// <summary>A constant the decoding takes (a lookup table), loaded once per kernel call.</summary>
    static abstract Vector256<byte> Table { get; }

    /// <summary>Step 2i's bytes from its nibbles (0..15 per byte) of the block at <paramref name="block"/>.</summary>
    static abstract Vector256<byte> Low(Vector256<byte> table, Vector256<byte> nibbles, byte* block, int i);

    /// <summary>Step 2i + 1's bytes from its nibbles.</summary>
    static abstract Vector256<byte> High(Vector256<byte> table, Vector256<byte> nibbles, byte* block, int i);

    /// <summary>The 8 rows' scales of a block.</summary>
    static abstract Vector256<float> Scales(byte* scales);
}

/// <summary>MXFP4 (<see cref="PackedTableWeight"/>'s offset layout with exponent-byte scales): the table gives w + 12.</summary>
internal unsafe struct Mxfp4Nibbles : INibbleDecodeFormat
{
    public static int QuantBytes => 128;
    public static int ScaleBytes => 8;

    public static Vector256<byte> Table
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Mxfp4Table.Table - Vector256.Create((byte)116); // value + 128 → value + 12
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> table, Vector256<byte> nibbles, byte* block, int i) => Avx2.Shuffle(table, nibbles);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> table, Vector256<byte> nibbles, byte* block, int i) => Avx2.Shuffle(table, nibbles);

    /// <summary>The 8 rows' half scales 2^(e − 128) of a block from their bytes e − 1: the F32 exponent field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scales(byte* exponents) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(exponents), 23).AsSingle();
}

/// <summary>Q4_0 (<typeparamref name="TBits"/> = 4) or Q5_0 (5) in <see cref="PackedLegacyWeight"/>'s layout: the
/// nibbles are q itself; Q5_0 ORs in 16 for bit j of the block's fifth-bit plane (bytes 128..159); F16 row scales.</summary>
internal unsafe struct LegacyNibbles<TBits> : INibbleDecodeFormat where TBits : struct, ITileCount
{
    public static int QuantBytes => TBits.N == 5 ? 160 : 128;
    public static int ScaleBytes => 16;
    public static Vector256<byte> Table => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> table, Vector256<byte> nibbles, byte* block, int i) =>
        TBits.N == 5 ? nibbles | Fifth(block, 2 * i) : nibbles;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> table, Vector256<byte> nibbles, byte* block, int i) =>
        TBits.N == 5 ? nibbles | Fifth(block, 2 * i + 1) : nibbles;

    /// <summary>Step j's fifth bits as 16 per byte: bit j of each plane byte, moved to bit 4 by one 16-bit shift (j is a
    /// constant here; no bit crosses into bit 4 of the neighbouring byte for shifts of at most 4) and a mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Fifth(byte* block, int j)
    {
        var plane = Vector256.Load(block + 128).AsUInt16();
        var moved = j <= 4 ? plane << (4 - j) : plane >> (j - 4);
        return moved.AsByte() & Vector256.Create((byte)0x10);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scales(byte* scales) => Q8_0Format<Offset128Dot>.Scales(scales);
}

/// <summary>MXFP4's entry to <see cref="NibbleDecode{TF}"/>.</summary>
internal static unsafe class Mxfp4Decode
{
    /// <summary>Whether this kernel serves packed MXFP4 tiles (it needs AVX2; with AVX-VNNI the generic tile's vpdpbusd
    /// is already one instruction per step).</summary>
    public static bool Serves => Avx2.IsSupported && !AvxVnni.IsSupported;

    /// <inheritdoc cref="NibbleDecode{TF}.Tile"/>
    public static void Tile(int groups, int tokens, byte* q, byte* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows) =>
        NibbleDecode<Mxfp4Nibbles>.Tile(groups, tokens, q, scales, nb, x, xd, xc, y, yStride, rows);
}
