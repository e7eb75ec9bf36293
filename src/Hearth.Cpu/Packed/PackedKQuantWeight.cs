using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q4_K or Q5_K weight re-laid out for an AVX2 vpmaddubsw kernel, in exactly the file's bytes (144 or 176 per
/// row and 256 columns), so decode streams no more memory than llama.cpp does. Rows in groups of 8. Per group and
/// 32-column sub-block, four 32-byte vectors hold the low 4 bits of steps 2v (low nibble) and 2v+1 (high nibble), step
/// j being columns 4j..4j+3 of each of the 8 rows (row r at bytes 4r..4r+3: <see cref="NibbleLayout"/>); Q5_K adds one
/// 32-byte vector of fifth bits, bit j of byte 4r + c being step j's (the file's qh, regrouped by step). Per group and
/// 256-column super-block, 128 bytes of scales: the 8 rows' F16 d, their F16 dmin, then the rows' 12 bytes of packed
/// 6-bit scales and mins transposed into 12 planes of 8 bytes (plane p = byte p of rows 0..7), so three vector loads
/// and a few masks and shifts unpack all 64 scales and 64 mins of the group at once.
/// Value = d·sc·q − dmin·m, q in 0..15 (Q4_K) or 0..31 (Q5_K).</summary>
public sealed unsafe class PackedKQuantWeight : PackedWeight
{
    private const int NibbleBytes = 128, HighBitBytes = 32, SuperScaleBytes = 128;
    private readonly bool _five;
    private readonly int _quantBytes;

    // Base blocks are the 32-column sub-blocks (the activation's correction granularity); a super-block's 128 bytes of
    // scales are 16 per sub-block.
    private PackedKQuantWeight(Weight source, bool five) : base(source, 32, five ? NibbleBytes + HighBitBytes : NibbleBytes, SuperScaleBytes / 8)
    {
        _five = five;
        _quantBytes = five ? NibbleBytes + HighBitBytes : NibbleBytes;
    }

    /// <summary>True for the types this layout takes (Q4_K, Q5_K) at widths of whole super-blocks.</summary>
    public static bool Packs(GgmlType type, int columns) => type is GgmlType.Q4_K or GgmlType.Q5_K && columns % 256 == 0;

    /// <summary><see cref="Pack(Weight)"/> for a backend at <paramref name="isa"/>: where it may run the emitted AVX-512
    /// VNNI tiles (<see cref="CpuIsa.UseEmittedVnni"/>), the tiles take them.</summary>
    public static PackedKQuantWeight Pack(Weight w, CpuIsa isa) => Emitting(Pack(w), isa.UseEmittedVnni);

    public static PackedKQuantWeight Pack(Weight w)
    {
        if (!Packs(w.Type, w.Columns)) throw new ArgumentException($"weight '{w.Name}' is not a Q4_K or Q5_K matrix");
        bool five = w.Type == GgmlType.Q5_K;
        var p = new PackedKQuantWeight(w, five);
        int nb = p.Blocks, supers = nb / 8, blockBytes = five ? QuantBlocks.Q5_KBytes : QuantBlocks.Q4_KBytes;
        System.Runtime.InteropServices.NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * nb * p._quantBytes));
        System.Runtime.InteropServices.NativeMemory.Clear(p.ScaleData, (nuint)((long)p.Groups * supers * SuperScaleBytes));
        for (int row = 0; row < w.Rows; row++)
        {
            int g = row / GroupRows, r = row % GroupRows;
            byte* src = w.Row(row);
            for (int sb = 0; sb < supers; sb++)
            {
                // {f16 d, dmin; u8 scales[12]; (Q5_K: u8 qh[32];) u8 qs[128]}
                byte* blk = src + (long)sb * blockBytes, qh = blk + 16, qsAll = blk + (five ? 48 : 16);
                byte* scales = p.ScaleData + ((long)g * supers + sb) * SuperScaleBytes;
                ((ushort*)scales)[r] = *(ushort*)blk;
                ((ushort*)scales)[8 + r] = *(ushort*)(blk + 2);
                for (int b = 0; b < 12; b++) scales[32 + 8 * b + r] = blk[4 + b];
                for (int sub = 0; sub < 8; sub++)
                {
                    // Sub-block 2c takes the low nibbles of qs[32c .. 32c+31], sub-block 2c+1 the high ones; its fifth
                    // bits are bit `sub` of qh[0..31].
                    byte* dst = p.Quants + ((long)g * nb + sb * 8 + sub) * p._quantBytes;
                    NibbleLayout.PutRow(dst, r, qsAll + (sub / 2) * 32, 32, (sub & 1) * 4);
                    if (!five) continue;
                    uint bits = 0;
                    for (int j = 0; j < 8; j++) bits |= (((uint*)qh)[j] >> sub & 0x01010101u) << j;
                    *(uint*)(dst + NibbleBytes + 4 * r) = bits;
                }
            }
        }
        return p;
    }

    internal override bool RestoresRows => true;

    internal override void RestoreRow(int row, byte* destination)
    {
        int g = row / GroupRows, r = row % GroupRows, nb = Blocks, supers = nb / 8;
        int blockBytes = _five ? QuantBlocks.Q5_KBytes : QuantBlocks.Q4_KBytes;
        for (int sb = 0; sb < supers; sb++)
        {
            byte* blk = destination + (long)sb * blockBytes, qh = blk + 16, qsAll = blk + (_five ? 48 : 16);
            byte* scales = ScaleData + ((long)g * supers + sb) * SuperScaleBytes;
            *(ushort*)blk = ((ushort*)scales)[r];
            *(ushort*)(blk + 2) = ((ushort*)scales)[8 + r];
            for (int b = 0; b < 12; b++) blk[4 + b] = scales[32 + 8 * b + r];
            new Span<byte>(blk + 16, blockBytes - 16).Clear();
            for (int sub = 0; sub < 8; sub++)
            {
                byte* qs = qsAll + (sub / 2) * 32;
                int shift = (sub & 1) * 4;
                byte* src = Quants + ((long)g * nb + sb * 8 + sub) * _quantBytes;
                for (int c = 0; c < 32; c++) qs[c] |= (byte)(NibbleLayout.Get(src, r, c) << shift);
                if (!_five) continue;
                uint bits = *(uint*)(src + NibbleBytes + 4 * r);
                for (int j = 0; j < 8; j++) ((uint*)qh)[j] |= (bits >> j & 0x01010101u) << sub;
            }
        }
    }

    /// <remarks>Q8_K, as llama.cpp pairs with Q4_K and Q5_K (one scale per 256 columns, repeated per sub-block); the correction
    /// is, as F32 bits, −(token scale)·Σx over the sub-block, which the kernel multiplies by the rows' dmin·m.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        int* sums = stackalloc int[Columns / 16];
        float* scales = stackalloc float[Columns / 256];
        QuantizeActivations.Q8_K(isa, x, Columns, q, scales, sums);
        for (int b = 0; b < Blocks; b++)
        {
            d[b] = scales[b / 8];
            c[b] = BitConverter.SingleToInt32Bits(-(scales[b / 8] * (sums[2 * b] + sums[2 * b + 1])));
        }
    }

    /// <remarks><paramref name="xc"/> holds, as F32 bits, −(token scale)·Σx over each sub-block.</remarks>
    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        int supers = Blocks / 8;
        long quantBytes = (long)Blocks * _quantBytes, scaleBytes = (long)supers * SuperScaleBytes;
        byte* q = Quants + group * quantBytes, s = ScaleData + group * scaleBytes;
        // One token (decode) stays on the C# kernel: the emitted one's per-sub-block scale work (vpmulld, the mins'
        // conversions) outweighs its single vpdpbusd per step there (1B Q4_K decode 0.92–0.96×, prompt 1.18–1.19×,
        // interleaved). Both give the same bits, so a sequence alone and in a batch still agree.
        if (UsesEmittedKernel && tokens > 1) Emitted.EmittedKernels.KQuantTile(_five, groups, tokens, q, quantBytes, s, scaleBytes, supers, x, xd, xc, y, yStride, rows);
        else if (_five) GroupTile.Groups<KQuantMaddubs.Kernel<Count5>>(groups, tokens, q, quantBytes, s, scaleBytes, supers, x, xd, xc, y, yStride, rows);
        else GroupTile.Groups<KQuantMaddubs.Kernel<Count4>>(groups, tokens, q, quantBytes, s, scaleBytes, supers, x, xd, xc, y, yStride, rows);
    }
}

/// <summary>The <see cref="PackedKQuantWeight"/> micro-kernel: one 8-row group × up to four tokens. Per 4-column step, one
/// vpmaddubsw of the rows' unsigned values against a broadcast of 4 activation int8s gives each row two int16 pair
/// sums; these add up in int16 (Q4_K: a sub-block's eight steps, at most 8·2·15·128 = 30,720; Q5_K: four steps, at most
/// 4·2·31·128 = 31,744), and one vpmaddwd by the rows' 6-bit scales, each duplicated into both halves of its 32-bit lane,
/// both finishes the row sums and scales them into int32. Per super-block the int32 sums become floats once (times
/// d·token scale); the mins enter per sub-block through the token's correction. Two instructions per 32 multiply-adds
/// in the inner loop, against three to five for the other packed formats' AVX2 step dots (<see cref="PackedDots"/>);
/// Q5_K's fifth bits cost a shift, a mask and an OR per step, shared by the tile's tokens.</summary>
internal static unsafe class KQuantMaddubs
{
    /// <summary>The kernel for <typeparamref name="TBits"/> (Count4: Q4_K, Count5: Q5_K) as <see cref="GroupTile"/> takes it.</summary>
    public struct Kernel<TBits> : IGroupKernel where TBits : struct, ITileCount
    {
        public static void Tile<TN>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
            where TN : struct, ITileCount => KQuantMaddubs.Tile<TN, TBits>(q, scales, supers, x, xd, xc, y, yStride, rows);
    }

    /// <typeparam name="TN">Tokens of the tile (1..4).</typeparam>
    /// <typeparam name="TBits">Count4 for Q4_K, Count5 for Q5_K (a 32-byte vector of fifth bits after the nibbles).</typeparam>
    /// <param name="q">The group's first sub-block of values.</param>
    /// <param name="scales">The group's first super-block of scales (d, dmin, 12 planes).</param>
    /// <param name="x">The tile's interleaved activations (<see cref="PackedGemm.InterleaveTile"/>).</param>
    /// <param name="xd">Per sub-block token scales, [sub-block][token].</param>
    /// <param name="xc">Per sub-block corrections (F32 bits of −token scale·Σx), [sub-block][token].</param>
    // Never inlined into the IGroupKernel wrapper: inlined there, its own AggressiveInlining helpers (a step, a block)
    // no longer fit the JIT's budget and became calls per step (Q3_K decode ran at half speed).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile<TN, TBits>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TN : struct, ITileCount where TBits : struct, ITileCount
    {
        int n = TN.N;
        bool five = TBits.N == 5;
        byte* sc = stackalloc byte[64];
        byte* mn = stackalloc byte[64];
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        for (int sb = 0; sb < supers; sb++, scales += 128)
        {
            Unpack(scales, sc, mn);
            var d = HalfBits.ToFloat(Avx2.ConvertToVector256Int32((ushort*)scales).AsUInt32());
            var dmin = HalfBits.ToFloat(Avx2.ConvertToVector256Int32((ushort*)scales + 8).AsUInt32());
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            float d0 = xd[0], d1 = n > 1 ? xd[1] : 0, d2 = n > 2 ? xd[2] : 0, d3 = n > 3 ? xd[3] : 0;
            for (int sub = 0; sub < 8; sub++)
            {
                var s = Avx2.ConvertToVector256Int32(sc + sub * 8);
                var pair = (s | (s << 16)).AsInt16();
                var high = five ? Vector256.Load(q + 128) : default;
                Vector256<short> p0 = default, p1 = default, p2 = default, p3 = default;
                Steps<TN, TBits>(q, high, 0, x, ref p0, ref p1, ref p2, ref p3);
                Steps<TN, TBits>(q, high, 1, x + 8 * n, ref p0, ref p1, ref p2, ref p3);
                if (five) Widen<TN>(pair, ref p0, ref p1, ref p2, ref p3, ref i0, ref i1, ref i2, ref i3);
                Steps<TN, TBits>(q, high, 2, x + 16 * n, ref p0, ref p1, ref p2, ref p3);
                Steps<TN, TBits>(q, high, 3, x + 24 * n, ref p0, ref p1, ref p2, ref p3);
                Widen<TN>(pair, ref p0, ref p1, ref p2, ref p3, ref i0, ref i1, ref i2, ref i3);
                x += 32 * n;
                q += five ? 160 : 128;
                var m = dmin * Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(mn + sub * 8));
                f0 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[0])), f0);
                if (n > 1) f1 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[1])), f1);
                if (n > 2) f2 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[2])), f2);
                if (n > 3) f3 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[3])), f3);
                xd += n;
                xc += n;
            }
            f0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i0), d * d0, f0);
            if (n > 1) f1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i1), d * d1, f1);
            if (n > 2) f2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i2), d * d2, f2);
            if (n > 3) f3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i3), d * d3, f3);
        }
        PackedGemm.Store(f0, y, rows);
        if (n > 1) PackedGemm.Store(f1, y + yStride, rows);
        if (n > 2) PackedGemm.Store(f2, y + 2 * yStride, rows);
        if (n > 3) PackedGemm.Store(f3, y + 3 * yStride, rows);
    }

    /// <summary>Steps 2v (low nibbles) and 2v + 1 (high nibbles) of a sub-block for every token of the tile, whose
    /// activations for step 2v start at <paramref name="x"/> (4 bytes per token and step).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Steps<TN, TBits>(byte* q, Vector256<byte> high, int v, sbyte* x,
        ref Vector256<short> p0, ref Vector256<short> p1, ref Vector256<short> p2, ref Vector256<short> p3)
        where TN : struct, ITileCount where TBits : struct, ITileCount
    {
        int n = TN.N;
        var low4 = Vector256.Create((byte)0x0F);
        var packed = Vector256.Load(q + v * 32);
        var lo = packed & low4;
        var hi = (packed.AsUInt16() >> 4).AsByte() & low4;
        if (TBits.N == 5)
        {
            lo |= FifthBit(high, 2 * v);
            hi |= FifthBit(high, 2 * v + 1);
        }
        p0 += Avx2.MultiplyAddAdjacent(lo, Broadcast(x));
        if (n > 1) p1 += Avx2.MultiplyAddAdjacent(lo, Broadcast(x + 4));
        if (n > 2) p2 += Avx2.MultiplyAddAdjacent(lo, Broadcast(x + 8));
        if (n > 3) p3 += Avx2.MultiplyAddAdjacent(lo, Broadcast(x + 12));
        x += 4 * n;
        p0 += Avx2.MultiplyAddAdjacent(hi, Broadcast(x));
        if (n > 1) p1 += Avx2.MultiplyAddAdjacent(hi, Broadcast(x + 4));
        if (n > 2) p2 += Avx2.MultiplyAddAdjacent(hi, Broadcast(x + 8));
        if (n > 3) p3 += Avx2.MultiplyAddAdjacent(hi, Broadcast(x + 12));
    }

    /// <summary>Step j's fifth bits (bit j of each byte) moved to bit 4 (value 16). 16-bit shifts: for j ≤ 4 a left shift
    /// by 4 − j brings bit 4 of each byte from bit j of the same byte, for j &gt; 4 a right shift by j − 4 likewise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> FifthBit(Vector256<byte> high, int j)
    {
        var h = high.AsUInt16();
        var moved = j <= 4 ? h << (4 - j) : h >> (j - 4);
        return moved.AsByte() & Vector256.Create((byte)0x10);
    }

    /// <summary>i += the int16 pair sums times the rows' scales (one vpmaddwd), and the pair sums restart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen<TN>(Vector256<short> pair, ref Vector256<short> p0, ref Vector256<short> p1, ref Vector256<short> p2, ref Vector256<short> p3,
        ref Vector256<int> i0, ref Vector256<int> i1, ref Vector256<int> i2, ref Vector256<int> i3) where TN : struct, ITileCount
    {
        int n = TN.N;
        i0 += Avx2.MultiplyAddAdjacent(p0, pair);
        if (n > 1) i1 += Avx2.MultiplyAddAdjacent(p1, pair);
        if (n > 2) i2 += Avx2.MultiplyAddAdjacent(p2, pair);
        if (n > 3) i3 += Avx2.MultiplyAddAdjacent(p3, pair);
        p0 = p1 = p2 = p3 = default;
    }

    /// <summary>The 8 rows' 6-bit scales and mins of a super-block, sc[8·sub + r] and mn[8·sub + r], from the 12 planes
    /// (ggml's get_scale_min_k4: sub-blocks 0-3 are the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); 4-7 take
    /// their low 4 bits from the nibbles of bytes 8-11 and their top 2 from the top bits of bytes 0-3 / 4-7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(byte* scales, byte* sc, byte* mn)
    {
        var a = Vector256.Load(scales + 32);
        var b = Vector256.Load(scales + 64);
        var c = Vector256.Load(scales + 96);
        var six = Vector256.Create((byte)0x3F);
        var low4 = Vector256.Create((byte)0x0F);
        var top2 = Vector256.Create((byte)0x30);
        (a & six).Store(sc);
        (b & six).Store(mn);
        ((c & low4) | ((a.AsUInt16() >> 2).AsByte() & top2)).Store(sc + 32);
        (((c.AsUInt16() >> 4).AsByte() & low4) | ((b.AsUInt16() >> 2).AsByte() & top2)).Store(mn + 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();
}
