using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q3_K weight re-laid out for an AVX2 vpmaddubsw kernel in about the file's bytes (114 per row and 256
/// columns against the file's 110), where the scale/min layout it replaces held a nibble and an F32 scale and min per
/// 16 columns (8 bits per weight against 3.44). Rows in groups of 8. Each value is u = low 2 bits + 4·(high bit), 0..7,
/// and the weight d·s·(u − 4) with s the 16-column block's signed 6-bit scale. Per group and 32 columns (8 steps of 4
/// columns, row r at bytes 4r..4r+3 of each vector: <see cref="NibbleLayout"/>'s order), 96 bytes: two 32-byte vectors
/// of 2-bit fields (16 columns each; bits 2s..2s+1 of byte 4r + c are step s's) and one of high bits (bit t of byte
/// 4r + c is step t's). Per group and 256 columns, 144 bytes of scales: the 8 rows' F16 d, then the 16 blocks' scales as
/// int8 planes of 8 rows. The blocks the activation sees are the 16-column scale blocks: per block and token a scale
/// (Q8_K's, per 256) and a correction, as F32 bits, −4·(token scale)·Σx, which the kernel multiplies by d·s to take the
/// −4 offset out.</summary>
public sealed unsafe class PackedQ3_KWeight : PackedWeight
{
    private const int PairBytes = 96, SuperScaleBytes = 144;

    private PackedQ3_KWeight(Weight source) : base(source, 16, PairBytes / 2, SuperScaleBytes / 16) { }

    public static bool Packs(GgmlType type, int columns) => type == GgmlType.Q3_K && columns % 256 == 0;

    public static PackedQ3_KWeight Pack(Weight w)
    {
        if (!Packs(w.Type, w.Columns)) throw new ArgumentException($"weight '{w.Name}' is not a Q3_K matrix");
        var p = new PackedQ3_KWeight(w);
        int k = w.Columns, supers = k / 256;
        System.Runtime.InteropServices.NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * p.Blocks * (PairBytes / 2)));
        System.Runtime.InteropServices.NativeMemory.Clear(p.ScaleData, (nuint)((long)p.Groups * supers * SuperScaleBytes));
        var values = new byte[k];
        var scale = new float[k / 16];
        var min = new float[k / 16];
        Span<sbyte> codes = stackalloc sbyte[16];
        fixed (byte* u = values)
        fixed (float* sc = scale, mn = min)
            for (int row = 0; row < w.Rows; row++)
            {
                int g = row / GroupRows, r = row % GroupRows;
                byte* src = w.Row(row);
                ScaleMinRows.Decode(GgmlType.Q3_K, src, k, u, sc, mn); // u = low 2 bits + 4·high bit per column
                for (int sb = 0; sb < supers; sb++)
                {
                    byte* blk = src + sb * 110;
                    byte* scales = p.ScaleData + ((long)g * supers + sb) * SuperScaleBytes;
                    ((ushort*)scales)[r] = *(ushort*)(blk + 108);
                    Core.Quants.Q3_K.UnpackScales(new ReadOnlySpan<byte>(blk + 96, 12), codes);
                    for (int b = 0; b < 16; b++) scales[16 + 8 * b + r] = (byte)codes[b];
                    for (int pair = 0; pair < 8; pair++)
                    {
                        uint* step = (uint*)(u + sb * 256 + pair * 32); // step t's 4 columns, one byte each
                        byte* dst = p.Quants + ((long)g * p.Blocks / 2 + sb * 8 + pair) * PairBytes + 4 * r;
                        uint low0 = 0, low1 = 0, high = 0;
                        for (int s = 0; s < 4; s++)
                        {
                            low0 |= (step[s] & 0x03030303u) << (2 * s);
                            low1 |= (step[4 + s] & 0x03030303u) << (2 * s);
                        }
                        for (int t = 0; t < 8; t++) high |= (step[t] >> 2 & 0x01010101u) << t;
                        *(uint*)dst = low0;
                        *(uint*)(dst + 32) = low1;
                        *(uint*)(dst + 64) = high;
                    }
                }
            }
        return p;
    }

    /// <remarks>Q8_K, as llama.cpp pairs with Q3_K; per 16-column block the token scale and, as F32 bits,
    /// −4·(token scale)·Σx.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        int* sums = stackalloc int[Columns / 16];
        float* scales = stackalloc float[Columns / 256];
        QuantizeActivations.Q8_K(isa, x, Columns, q, scales, sums);
        for (int b = 0; b < Blocks; b++)
        {
            d[b] = scales[b / 16];
            c[b] = BitConverter.SingleToInt32Bits(-4 * scales[b / 16] * sums[b]);
        }
    }

    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        int supers = Blocks / 16;
        for (int i = 0; i < groups; i++)
        {
            int g = group + i;
            byte* q = Quants + (long)g * (Blocks / 2) * PairBytes;
            byte* s = ScaleData + (long)g * supers * SuperScaleBytes;
            int valid = Math.Min(GroupRows, rows - i * GroupRows);
            float* yg = y + i * GroupRows;
            switch (tokens)
            {
                case 1: Q3_KMaddubs.Tile<Count1>(q, s, supers, x, xd, xc, yg, yStride, valid); break;
                case 2: Q3_KMaddubs.Tile<Count2>(q, s, supers, x, xd, xc, yg, yStride, valid); break;
                case 3: Q3_KMaddubs.Tile<Count3>(q, s, supers, x, xd, xc, yg, yStride, valid); break;
                default: Q3_KMaddubs.Tile<Count4>(q, s, supers, x, xd, xc, yg, yStride, valid); break;
            }
        }
    }
}

/// <summary>The <see cref="PackedQ3_KWeight"/> micro-kernel: one 8-row group × up to four tokens. Per 4-column step the
/// rows' values u (0..7) come from a 2-bit field and a high bit by constant shifts and masks shared by the tile's
/// tokens, then one vpmaddubsw against a broadcast of 4 activation int8s and one 16-bit add per token; a 16-column
/// block's 4 steps stay within 4·2·7·128 = 7,168 in int16, and one vpmaddwd by the rows' signed scales (each duplicated
/// into both halves of its lane) turns them into int32. Per 256 columns the int32 sums become floats once (times
/// d·token scale); the −4 offset enters per block through the token's correction times d·s.</summary>
internal static unsafe class Q3_KMaddubs
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TN>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TN : struct, ITileCount
    {
        int n = TN.N;
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        for (int sb = 0; sb < supers; sb++, scales += 144)
        {
            var d = HalfBits.ToFloat(Avx2.ConvertToVector256Int32((ushort*)scales).AsUInt32());
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            float d0 = xd[0], d1 = n > 1 ? xd[1] : 0, d2 = n > 2 ? xd[2] : 0, d3 = n > 3 ? xd[3] : 0;
            sbyte* codes = (sbyte*)scales + 16;
            for (int pair = 0; pair < 8; pair++)
            {
                var high = Vector256.Load(q + 64);
                Block<TN>(Vector256.Load(q), high, 0, codes, d, x, xc, ref i0, ref i1, ref i2, ref i3, ref f0, ref f1, ref f2, ref f3);
                Block<TN>(Vector256.Load(q + 32), high, 4, codes + 8, d, x + 16 * n, xc + n, ref i0, ref i1, ref i2, ref i3, ref f0, ref f1, ref f2, ref f3);
                q += 96;
                codes += 16;
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

    /// <summary>One 16-column block (4 steps, whose high bits are bits <paramref name="firstStep"/>.. of
    /// <paramref name="high"/>) for every token: int16 sums, their scaled int32 into i*, the offset's correction into f*.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block<TN>(Vector256<byte> low, Vector256<byte> high, int firstStep, sbyte* codes, Vector256<float> d, sbyte* x, int* xc,
        ref Vector256<int> i0, ref Vector256<int> i1, ref Vector256<int> i2, ref Vector256<int> i3,
        ref Vector256<float> f0, ref Vector256<float> f1, ref Vector256<float> f2, ref Vector256<float> f3)
        where TN : struct, ITileCount
    {
        int n = TN.N;
        Vector256<short> p0 = default, p1 = default, p2 = default, p3 = default;
        Step<TN>(Values(low, high, 0, firstStep), x, ref p0, ref p1, ref p2, ref p3);
        Step<TN>(Values(low, high, 1, firstStep + 1), x + 4 * n, ref p0, ref p1, ref p2, ref p3);
        Step<TN>(Values(low, high, 2, firstStep + 2), x + 8 * n, ref p0, ref p1, ref p2, ref p3);
        Step<TN>(Values(low, high, 3, firstStep + 3), x + 12 * n, ref p0, ref p1, ref p2, ref p3);
        var s = Avx2.ConvertToVector256Int32(codes);
        var pair = ((s & Vector256.Create(0xFFFF)) | (s << 16)).AsInt16();
        var m = d * Avx.ConvertToVector256Single(s);
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

    /// <summary>Step s's values of a block, u = bits 2s..2s+1 of <paramref name="low"/> + 4·bit t of <paramref name="high"/>.
    /// 16-bit shifts: each byte's result bits come from the same byte (higher bits that cross in are masked off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Values(Vector256<byte> low, Vector256<byte> high, int s, int t)
    {
        var crumb = (s == 0 ? low : (low.AsUInt16() >> (2 * s)).AsByte()) & Vector256.Create((byte)3);
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
