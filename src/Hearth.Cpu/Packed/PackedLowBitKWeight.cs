using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Emitted;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q2_K or Q3_K weight re-laid out for an AVX2 vpmaddubsw kernel in about the file's bytes (Q2_K: 84 per row
/// and 256 columns, as the file; Q3_K: 114 against the file's 110), where the scale/min layout it replaces held a nibble
/// and an F32 scale and min per 16 columns (8 bits per weight against 2.6 and 3.44). Rows in groups of 8. Each value is
/// u = a 2-bit field (+ 4·a high bit for Q3_K): Q2_K's weight is d·sc·u − dmin·m, Q3_K's d·s·(u − 4) with s signed.
/// Per group and 32 columns (8 steps of 4 columns, row r at bytes 4r..4r+3 of each vector: <see cref="NibbleLayout"/>'s
/// order): two 32-byte vectors of 2-bit fields (16 columns each; bits 2s..2s+1 of byte 4r + c are step s's) and, for
/// Q3_K, one of high bits (bit t of byte 4r + c is step t's). Per group and 256 columns, the scales: the 8 rows' F16 d
/// (Q2_K: and F16 dmin), then per 16-column block a plane of 8 rows' bytes (Q2_K: the file's scale | min &lt;&lt; 4;
/// Q3_K: the signed 6-bit scale). The blocks the activation sees are the 16-column scale blocks: per block and token a
/// scale (Q8_K's, per 256) and a correction, as F32 bits, −(token scale)·Σx (Q3_K: times 4), which the kernel multiplies
/// by the rows' dmin·m (Q3_K: d·s) to take the mins (the −4 offset) out.</summary>
public sealed unsafe class PackedLowBitKWeight : PackedWeight
{
    private readonly bool _three;
    private readonly int _pairBytes, _superScaleBytes;

    private PackedLowBitKWeight(Weight source, bool three, int pairBytes, int superScaleBytes)
        : base(source, 16, pairBytes / 2, superScaleBytes / 16)
    {
        _three = three;
        _pairBytes = pairBytes;
        _superScaleBytes = superScaleBytes;
    }

    public static bool Packs(GgmlType type, int columns) => type is GgmlType.Q2_K or GgmlType.Q3_K && columns % 256 == 0;

    public static PackedLowBitKWeight Pack(Weight w)
    {
        if (!Packs(w.Type, w.Columns)) throw new ArgumentException($"weight '{w.Name}' is not a Q2_K or Q3_K matrix");
        bool three = w.Type == GgmlType.Q3_K;
        var p = three ? new PackedLowBitKWeight(w, true, 96, 144) : new PackedLowBitKWeight(w, false, 64, 160);
        int k = w.Columns, supers = k / 256, blockBytes = three ? QuantBlocks.Q3_KBytes : QuantBlocks.Q2_KBytes, planes = three ? 16 : 32;
        System.Runtime.InteropServices.NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * (p.Blocks / 2) * p._pairBytes));
        System.Runtime.InteropServices.NativeMemory.Clear(p.ScaleData, (nuint)((long)p.Groups * supers * p._superScaleBytes));
        byte* u = stackalloc byte[256];
        Span<sbyte> codes = stackalloc sbyte[16];
        for (int row = 0; row < w.Rows; row++)
        {
            int g = row / GroupRows, r = row % GroupRows;
            byte* src = w.Row(row);
            for (int sb = 0; sb < supers; sb++)
            {
                byte* blk = src + sb * blockBytes;
                Values(blk, three, u);
                byte* scales = p.ScaleData + ((long)g * supers + sb) * p._superScaleBytes;
                if (three)
                {
                    ((ushort*)scales)[r] = *(ushort*)(blk + QuantBlocks.Q3_KBytes - 2);
                    Core.Quants.Q3_K.UnpackScales(new ReadOnlySpan<byte>(blk + 96, 12), codes);
                    for (int b = 0; b < 16; b++) scales[planes + 8 * b + r] = (byte)codes[b];
                }
                else
                {
                    ((ushort*)scales)[r] = *(ushort*)(blk + QuantBlocks.Q2_KBytes - 4);
                    ((ushort*)scales)[8 + r] = *(ushort*)(blk + QuantBlocks.Q2_KBytes - 2);
                    for (int b = 0; b < 16; b++) scales[planes + 8 * b + r] = blk[b];
                }
                for (int pair = 0; pair < 8; pair++)
                {
                    uint* step = (uint*)(u + pair * 32); // step t's 4 columns, one byte each
                    byte* dst = p.Quants + ((long)g * p.Blocks / 2 + sb * 8 + pair) * p._pairBytes + 4 * r;
                    uint low0 = 0, low1 = 0, high = 0;
                    for (int s = 0; s < 4; s++)
                    {
                        low0 |= (step[s] & 0x03030303u) << (2 * s);
                        low1 |= (step[4 + s] & 0x03030303u) << (2 * s);
                    }
                    *(uint*)dst = low0;
                    *(uint*)(dst + 32) = low1;
                    if (!three) continue;
                    for (int t = 0; t < 8; t++) high |= (step[t] >> 2 & 0x01010101u) << t;
                    *(uint*)(dst + 64) = high;
                }
            }
        }
        return p;
    }

    /// <summary>A super-block's 256 values u, one byte each: the 2-bit field of column v (byte 32·(v/128) + v%32 of the
    /// fields, bits 2·((v%128)/32)), for Q3_K plus 4·its hmask bit (bit v/32 of hmask[v%32]).</summary>
    private static void Values(byte* blk, bool three, byte* u)
    {
        byte* fields = three ? blk + 32 : blk + 16; // Q3_K {hmask[32]; qs[64]; ...}, Q2_K {scales[16]; qs[64]; ...}
        for (int v = 0; v < 256; v++)
        {
            int field = (fields[(v / 128) * 32 + v % 32] >> (2 * ((v % 128) / 32))) & 3;
            u[v] = (byte)(three ? field | ((blk[v % 32] >> (v / 32)) & 1) << 2 : field);
        }
    }

    /// <remarks>Q8_K, as llama.cpp pairs with Q2_K and Q3_K; per 16-column block the token scale and, as F32 bits,
    /// −(token scale)·Σx (Q3_K: −4·(token scale)·Σx).</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        int* sums = stackalloc int[Columns / 16];
        float* scales = stackalloc float[Columns / 256];
        QuantizeActivations.Q8_K(isa, x, Columns, q, scales, sums);
        for (int b = 0; b < Blocks; b++)
        {
            d[b] = scales[b / 16];
            c[b] = BitConverter.SingleToInt32Bits((_three ? -4 : -1) * scales[b / 16] * sums[b]);
        }
    }

    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        int supers = Blocks / 16;
        long quantBytes = (long)(Blocks / 2) * _pairBytes, scaleBytes = (long)supers * _superScaleBytes;
        byte* q = Quants + group * quantBytes, s = ScaleData + group * scaleBytes;
        if (_three) GroupTile.Groups<LowBitKMaddubs.Kernel<Count3>>(groups, tokens, q, quantBytes, s, scaleBytes, supers, x, xd, xc, y, yStride, rows);
        else GroupTile.Groups<LowBitKMaddubs.Kernel<Count2>>(groups, tokens, q, quantBytes, s, scaleBytes, supers, x, xd, xc, y, yStride, rows);
    }
}

/// <summary>The <see cref="PackedLowBitKWeight"/> micro-kernel: one 8-row group × up to four tokens. Per 4-column step
/// the rows' values u (Q2_K 0..3, Q3_K 0..7) come from a 2-bit field (and a high bit) by constant shifts and masks
/// shared by the tile's tokens, then one vpmaddubsw against a broadcast of 4 activation int8s and one 16-bit add per
/// token; a 16-column block's 4 steps stay within 4·2·7·128 = 7,168 in int16, and one vpmaddwd by the rows' scales
/// (each duplicated into both halves of its lane) turns them into int32. Per 256 columns the int32 sums become floats
/// once (times d·token scale); the mins (Q3_K's −4 offset) enter per block through the token's correction.</summary>
internal static unsafe class LowBitKMaddubs
{
    /// <summary>The kernel for <typeparamref name="TBits"/> (Count2: Q2_K, Count3: Q3_K) as <see cref="GroupTile"/> takes it.</summary>
    public struct Kernel<TBits> : IGroupKernel where TBits : struct, ITileCount
    {
        public static void Tile<TN>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
            where TN : struct, ITileCount => LowBitKMaddubs.Tile<TN, TBits>(q, scales, supers, x, xd, xc, y, yStride, rows);
    }

    /// <typeparam name="TN">Tokens of the tile (1..4).</typeparam>
    /// <typeparam name="TBits">Count2 for Q2_K, Count3 for Q3_K.</typeparam>
    // Never inlined into the IGroupKernel wrapper: inlined there, its own AggressiveInlining helpers (a step, a block)
    // no longer fit the JIT's budget and became calls per step (Q3_K decode ran at half speed).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile<TN, TBits>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TN : struct, ITileCount where TBits : struct, ITileCount
    {
        int n = TN.N;
        bool three = TBits.N == 3;
        int superBytes = three ? 144 : 160, pairBytes = three ? 96 : 64;
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        for (int sb = 0; sb < supers; sb++, scales += superBytes)
        {
            var d = HalfBits.ToFloat(Avx2.ConvertToVector256Int32((ushort*)scales).AsUInt32());
            // Q2_K's mins are scaled by dmin, Q3_K's offset by d itself.
            var dm = three ? d : HalfBits.ToFloat(Avx2.ConvertToVector256Int32((ushort*)scales + 8).AsUInt32());
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            float d0 = xd[0], d1 = n > 1 ? xd[1] : 0, d2 = n > 2 ? xd[2] : 0, d3 = n > 3 ? xd[3] : 0;
            byte* planes = scales + (three ? 16 : 32);
            for (int pair = 0; pair < 8; pair++)
            {
                // Multi-token tiles prefetch their values as the emitted tiles do (their L1 and L2 distances; one token keeps
                // the hardware's alone). 1B Q3_K, `matmul-batch`, in-process A/B, means of 10: 4 tokens 34.8 vs 36.4 and
                // 40.6 vs 45.2 ms, 16 tokens 130.0 vs 135.7 and 153.5 vs 155.6 ms.
                if (n > 1)
                {
                    Sse.Prefetch0(q + EmittedTileCode.L1PrefetchDistance);
                    Sse.Prefetch1(q + EmittedTileCode.L2PrefetchDistance);
                    if (three)
                    {
                        Sse.Prefetch0(q + EmittedTileCode.L1PrefetchDistance + 64);
                        Sse.Prefetch1(q + EmittedTileCode.L2PrefetchDistance + 64);
                    }
                }
                var high = three ? Vector256.Load(q + 64) : default;
                Block<TN, TBits>(Vector256.Load(q), high, 0, planes, dm, x, xc, ref i0, ref i1, ref i2, ref i3, ref f0, ref f1, ref f2, ref f3);
                Block<TN, TBits>(Vector256.Load(q + 32), high, 4, planes + 8, dm, x + 16 * n, xc + n, ref i0, ref i1, ref i2, ref i3, ref f0, ref f1, ref f2, ref f3);
                q += pairBytes;
                planes += 16;
                x += 32 * n;
                xc += 2 * n;
            }
            xd += 16 * n;
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

    /// <summary>One 16-column block (4 steps; Q3_K's high bits are bits <paramref name="firstStep"/>.. of
    /// <paramref name="high"/>) for every token: int16 sums, their scaled int32 into i*, the min's (offset's)
    /// correction into f*.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block<TN, TBits>(Vector256<byte> low, Vector256<byte> high, int firstStep, byte* plane, Vector256<float> dm, sbyte* x, int* xc,
        ref Vector256<int> i0, ref Vector256<int> i1, ref Vector256<int> i2, ref Vector256<int> i3,
        ref Vector256<float> f0, ref Vector256<float> f1, ref Vector256<float> f2, ref Vector256<float> f3)
        where TN : struct, ITileCount where TBits : struct, ITileCount
    {
        int n = TN.N;
        bool three = TBits.N == 3;
        Vector256<short> p0 = default, p1 = default, p2 = default, p3 = default;
        Step<TN>(Values<TBits>(low, high, 0, firstStep), x, ref p0, ref p1, ref p2, ref p3);
        Step<TN>(Values<TBits>(low, high, 1, firstStep + 1), x + 4 * n, ref p0, ref p1, ref p2, ref p3);
        Step<TN>(Values<TBits>(low, high, 2, firstStep + 2), x + 8 * n, ref p0, ref p1, ref p2, ref p3);
        Step<TN>(Values<TBits>(low, high, 3, firstStep + 3), x + 12 * n, ref p0, ref p1, ref p2, ref p3);
        // Q3_K: signed scale s, the offset's factor d·s. Q2_K: the byte is scale | min << 4, the min's factor dmin·min.
        Vector256<int> scale, minFactor;
        if (three) scale = minFactor = Avx2.ConvertToVector256Int32((sbyte*)plane);
        else
        {
            var both = Avx2.ConvertToVector256Int32(plane);
            scale = both & Vector256.Create(15);
            minFactor = both >>> 4;
        }
        var pair = ((scale & Vector256.Create(0xFFFF)) | (scale << 16)).AsInt16();
        var m = dm * Avx.ConvertToVector256Single(minFactor);
        i0 += Avx2.MultiplyAddAdjacent(p0, pair);
        f0 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[0])), f0);
        if (n > 1)
        {
            i1 += Avx2.MultiplyAddAdjacent(p1, pair);
            f1 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[1])), f1);
        }
        if (n > 2)
        {
            i2 += Avx2.MultiplyAddAdjacent(p2, pair);
            f2 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[2])), f2);
        }
        if (n > 3)
        {
            i3 += Avx2.MultiplyAddAdjacent(p3, pair);
            f3 = Fma.MultiplyAdd(m, Vector256.Create(BitConverter.Int32BitsToSingle(xc[3])), f3);
        }
    }

    /// <summary>Step s's values of a block: bits 2s..2s+1 of <paramref name="low"/> (Q3_K: + 4·bit t of
    /// <paramref name="high"/>). 16-bit shifts: each byte's result bits come from the same byte (higher bits that cross
    /// in are masked off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Values<TBits>(Vector256<byte> low, Vector256<byte> high, int s, int t) where TBits : struct, ITileCount
    {
        var crumb = (s == 0 ? low : (low.AsUInt16() >> (2 * s)).AsByte()) & Vector256.Create((byte)3);
        if (TBits.N == 2) return crumb;
        var h = high.AsUInt16();
        var bit = (t < 2 ? h << (2 - t) : t == 2 ? h : h >> (t - 2)).AsByte() & Vector256.Create((byte)4);
        return crumb | bit;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TN>(Vector256<byte> u, sbyte* x, ref Vector256<short> p0, ref Vector256<short> p1, ref Vector256<short> p2, ref Vector256<short> p3)
        where TN : struct, ITileCount
    {
        int n = TN.N;
        p0 += Avx2.MultiplyAddAdjacent(u, Vector256.Create(*(int*)x).AsSByte());
        if (n > 1) p1 += Avx2.MultiplyAddAdjacent(u, Vector256.Create(*(int*)(x + 4)).AsSByte());
        if (n > 2) p2 += Avx2.MultiplyAddAdjacent(u, Vector256.Create(*(int*)(x + 8)).AsSByte());
        if (n > 3) p3 += Avx2.MultiplyAddAdjacent(u, Vector256.Create(*(int*)(x + 12)).AsSByte());
    }
}
