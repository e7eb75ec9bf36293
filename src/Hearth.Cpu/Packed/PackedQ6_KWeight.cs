using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q6_K weight re-laid out for an AVX2 vpmaddubsw kernel, in exactly the file's bytes (210 per row and 256
/// columns; a Q4_K_M file's output matrix is Q6_K, the largest single matrix decode streams). Rows in groups of 8.
/// Per group and super-block: for each 32-column unit, four 32-byte vectors of low nibbles (<see cref="NibbleLayout"/>:
/// step j = columns 4j..4j+3 of the 8 rows, vector j/2, low nibble for even j) then two vectors of the high 2 bits
/// (step j in vector j/4 at bits 2·(j mod 4), row r at bytes 4r..4r+3): 1,536 bytes. Scales per group and
/// super-block: the 8 rows' F16 d, then their sixteen int8 block scales transposed into 16 planes of 8 bytes (plane b =
/// block b's scale of rows 0..7): 144 bytes. Value = d·sc·(q − 32), q in 0..63. On AVX-512 VNNI machines the tiles of
/// two tokens and more run <see cref="Emitted.EmittedQ6_KCode"/> (the same bits; 2.4–2.6× the C# kernel's rate at 16 and
/// 64 tokens on the 1B's output matrix, `matmul-batch`).</summary>
public sealed unsafe class PackedQ6_KWeight : PackedWeight
{
    /// <summary>Bytes of values and of scales per group and super-block (the emitted tile steps by them too).</summary>
    internal const int SuperQuantBytes = 1536, SuperScaleBytes = 144;

    // Base blocks are the 16-column scale blocks (the activation's correction granularity).
    private PackedQ6_KWeight(Weight source) : base(source, 16, SuperQuantBytes / 16, SuperScaleBytes / 16) { }

    /// <summary><see cref="Pack(Weight)"/>, its multi-token tiles on the emitted kernel where the backend runs them.</summary>
    public static PackedQ6_KWeight Pack(Weight w, CpuIsa isa) => Emitting(Pack(w), isa.UseEmittedVnni);

    public static PackedQ6_KWeight Pack(Weight w)
    {
        if (w.Type != GgmlType.Q6_K || w.Columns % 256 != 0)
            throw new ArgumentException($"weight '{w.Name}' is not a Q6_K matrix");
        var p = new PackedQ6_KWeight(w);
        int supers = w.Columns / 256;
        // Padding rows: values 0 with scale 0.
        System.Runtime.InteropServices.NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * supers * SuperQuantBytes));
        System.Runtime.InteropServices.NativeMemory.Clear(p.ScaleData, (nuint)((long)p.Groups * supers * SuperScaleBytes));
        byte* values = stackalloc byte[256];
        for (int row = 0; row < w.Rows; row++)
        {
            int g = row / GroupRows, r = row % GroupRows;
            byte* src = w.Row(row);
            for (int sb = 0; sb < supers; sb++)
            {
                byte* blk = src + (long)sb * QuantBlocks.Q6_KBytes;
                for (int half = 0; half < 2; half++)
                {
                    byte* ql = blk + half * 64, qh = blk + 128 + half * 32;
                    byte* v = values + half * 128;
                    for (int l = 0; l < 32; l++)
                    {
                        v[l] = (byte)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
                        v[l + 32] = (byte)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
                        v[l + 64] = (byte)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                        v[l + 96] = (byte)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
                    }
                }
                long gs = (long)g * supers + sb;
                byte* scales = p.ScaleData + gs * SuperScaleBytes;
                ((ushort*)scales)[r] = *(ushort*)(blk + 208);
                for (int b = 0; b < 16; b++) scales[16 + 8 * b + r] = blk[192 + b];
                byte* quants = p.Quants + gs * SuperQuantBytes;
                for (int unit = 0; unit < 8; unit++)
                {
                    byte* lo = quants + unit * 192, hi = lo + 128;
                    // Low nibbles as any nibble layout; the top 2 bits of step j (4 columns) at bits 2·(j % 4) of
                    // row r's 4 bytes of hi word j / 4.
                    uint* v = (uint*)(values + unit * 32);
                    NibbleLayout.PutRow(lo, r, (byte*)v, 32);
                    for (int h = 0; h < 2; h++)
                    {
                        uint bits = 0;
                        for (int j = 0; j < 4; j++) bits |= (v[4 * h + j] >> 4 & 0x03030303u) << (2 * j);
                        *(uint*)(hi + h * 32 + r * 4) = bits;
                    }
                }
            }
        }
        return p;
    }

    internal override bool RestoresRows => true;

    internal override void RestoreRow(int row, byte* destination)
    {
        int g = row / GroupRows, r = row % GroupRows, supers = Columns / 256;
        byte* values = stackalloc byte[256];
        for (int sb = 0; sb < supers; sb++)
        {
            long gs = (long)g * supers + sb;
            byte* scales = ScaleData + gs * SuperScaleBytes, quants = Quants + gs * SuperQuantBytes;
            for (int unit = 0; unit < 8; unit++)
            {
                byte* lo = quants + unit * 192, hi = lo + 128;
                for (int c = 0; c < 32; c++)
                {
                    int j = c / 4;
                    int high = (hi[(j / 4) * 32 + r * 4 + c % 4] >> (2 * (j % 4))) & 3;
                    values[unit * 32 + c] = (byte)(NibbleLayout.Get(lo, r, c) | high << 4);
                }
            }
            // The file's interleaving of the 6-bit values (the inverse of Pack's unpacking).
            byte* blk = destination + (long)sb * QuantBlocks.Q6_KBytes;
            for (int half = 0; half < 2; half++)
            {
                byte* ql = blk + half * 64, qh = blk + 128 + half * 32, v = values + half * 128;
                for (int l = 0; l < 32; l++)
                {
                    ql[l] = (byte)((v[l] & 0xF) | (v[l + 64] & 0xF) << 4);
                    ql[l + 32] = (byte)((v[l + 32] & 0xF) | (v[l + 96] & 0xF) << 4);
                    qh[l] = (byte)((v[l] >> 4) | (v[l + 32] >> 4) << 2 | (v[l + 64] >> 4) << 4 | (v[l + 96] >> 4) << 6);
                }
            }
            for (int b = 0; b < 16; b++) blk[192 + b] = scales[16 + 8 * b + r];
            *(ushort*)(blk + 208) = ((ushort*)scales)[r];
        }
    }

    /// <remarks>Q8_K, as llama.cpp pairs with Q6_K (one scale per 256 columns, repeated per 16-column block); the
    /// correction is Σx over the block, with which the kernel removes the +32 the stored values carry.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        float* scales = stackalloc float[Columns / 256];
        QuantizeActivations.Q8_K(isa, x, Columns, q, scales, c);
        for (int b = 0; b < Blocks; b++) d[b] = scales[b / 16];
    }

    /// <remarks><paramref name="xc"/> holds Σx over each 16-column block.</remarks>
    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        int supers = Columns / 256;
        long quantBytes = (long)supers * SuperQuantBytes, scaleBytes = (long)supers * SuperScaleBytes;
        // One token (decode) stays on the C# kernel, as for Q4_K (whose emitted one-token tile measured slower); both
        // give the same bits.
        if (UsesEmittedKernel && tokens > 1)
            Emitted.EmittedKernels.Q6_KTile(groups, tokens, Quants + group * quantBytes, quantBytes, ScaleData + group * scaleBytes, scaleBytes,
                supers, x, xd, xc, y, yStride, rows);
        else
            GroupTile.Groups<Q6_KMaddubs.Kernel>(groups, tokens, Quants + group * quantBytes, quantBytes, ScaleData + group * scaleBytes, scaleBytes,
                supers, x, xd, xc, y, yStride, rows);
    }
}

/// <summary>The <see cref="PackedQ6_KWeight"/> micro-kernel: one 8-row group × up to four tokens. A step's values
/// (low nibble | high crumb·16, 0..63) go through vpmaddubsw against a broadcast of 4 activation int8s (pair sums at
/// most 2·63·127); two steps add up in int16 (≤ 32,004), and one vpmaddwd by the rows' block scales, duplicated into
/// both halves of each 32-bit lane, finishes and scales them. The +32 offset is removed once per super-block: the
/// rows' scales, paired by block, times the token's paired block sums (one vpmaddwd per two blocks), times 32.</summary>
internal static unsafe class Q6_KMaddubs
{
    /// <summary>This kernel as an <see cref="IGroupKernel"/>.</summary>
    public struct Kernel : IGroupKernel
    {
        public static void Tile<TN>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
            where TN : struct, ITileCount => Q6_KMaddubs.Tile<TN>(q, scales, supers, x, xd, xc, y, yStride, rows);
    }

    /// <param name="x">The tile's interleaved activations (<see cref="PackedGemm.InterleaveTile"/>).</param>
    /// <param name="xd">Per 16-column block token scales, [block][token].</param>
    /// <param name="xc">Per 16-column block sums of the token's int8 values, [block][token].</param>
    // Never inlined into the IGroupKernel wrapper: inlined there, its own AggressiveInlining helpers (a step, a block)
    // no longer fit the JIT's budget and became calls per step (Q3_K decode ran at half speed).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Tile<TN>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TN : struct, ITileCount
    {
        int n = TN.N;
        var f0 = Vector256<float>.Zero; var f1 = Vector256<float>.Zero; var f2 = Vector256<float>.Zero; var f3 = Vector256<float>.Zero;
        var low4 = Vector256.Create((byte)0x0F);
        var high2 = Vector256.Create((byte)0x30);
        for (int sb = 0; sb < supers; sb++, scales += 144)
        {
            sbyte* planes = (sbyte*)scales + 16;
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int unit = 0; unit < 8; unit++, q += 192)
            {
                var h0 = Vector256.Load(q + 128);
                var h1 = Vector256.Load(q + 160);
                for (int half = 0; half < 2; half++)
                {
                    // Block 2·unit + half: steps 4·half .. 4·half + 3.
                    var sv = Avx2.ConvertToVector256Int32(planes + (2 * unit + half) * 8);
                    var pair = (sv & Vector256.Create(0xFFFF) | (sv << 16)).AsInt16();
                    var l0 = Vector256.Load(q + half * 64);
                    var l1 = Vector256.Load(q + half * 64 + 32);
                    var h = half == 0 ? h0 : h1;
                    var w0 = (l0 & low4) | ((h.AsUInt16() << 4).AsByte() & high2);
                    var w1 = ((l0.AsUInt16() >> 4).AsByte() & low4) | ((h.AsUInt16() << 2).AsByte() & high2);
                    var w2 = (l1 & low4) | (h & high2);
                    var w3 = ((l1.AsUInt16() >> 4).AsByte() & low4) | ((h.AsUInt16() >> 2).AsByte() & high2);
                    Block(n, w0, w1, pair, ref x, ref i0, ref i1, ref i2, ref i3);
                    Block(n, w2, w3, pair, ref x, ref i0, ref i1, ref i2, ref i3);
                }
            }
            // Σ_b sc_b·Σx_b per token (pairs of blocks per vpmaddwd), removing the stored values' +32.
            for (int u = 0; u < n; u++)
            {
                Vector256<int> c = default;
                for (int b = 0; b < 16; b += 2)
                {
                    var pair = Avx2.ConvertToVector256Int16(Sse2.UnpackLow(Vector128.CreateScalarUnsafe(*(long*)(planes + b * 8)).AsSByte(),
                        Vector128.CreateScalarUnsafe(*(long*)(planes + (b + 1) * 8)).AsSByte()));
                    int sums = (xc[b * n + u] & 0xFFFF) | xc[(b + 1) * n + u] << 16;
                    c += Avx2.MultiplyAddAdjacent(pair, Vector256.Create(sums).AsInt16());
                }
                var dot = (u == 0 ? i0 : u == 1 ? i1 : u == 2 ? i2 : i3) - (c << 5);
                var scale = HalfBits.ToFloat(Avx2.ConvertToVector256Int32((ushort*)scales).AsUInt32()) * xd[u];
                var f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), scale, u == 0 ? f0 : u == 1 ? f1 : u == 2 ? f2 : f3);
                if (u == 0) f0 = f; else if (u == 1) f1 = f; else if (u == 2) f2 = f; else f3 = f;
            }
            xd += 16 * n;
            xc += 16 * n;
        }
        PackedGemm.Store(f0, y, rows);
        if (n > 1) PackedGemm.Store(f1, y + yStride, rows);
        if (n > 2) PackedGemm.Store(f2, y + 2 * yStride, rows);
        if (n > 3) PackedGemm.Store(f3, y + 3 * yStride, rows);
    }

    /// <summary>Two steps (values a, then b) against each token's next 4 activation bytes of each step, added in int16
    /// and scaled into the int32 sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(int n, Vector256<byte> a, Vector256<byte> b, Vector256<short> pair, ref sbyte* x,
        ref Vector256<int> i0, ref Vector256<int> i1, ref Vector256<int> i2, ref Vector256<int> i3)
    {
        sbyte* xb = x + 4 * n;
        i0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, Broadcast(x)) + Avx2.MultiplyAddAdjacent(b, Broadcast(xb)), pair);
        if (n > 1) i1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, Broadcast(x + 4)) + Avx2.MultiplyAddAdjacent(b, Broadcast(xb + 4)), pair);
        if (n > 2) i2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, Broadcast(x + 8)) + Avx2.MultiplyAddAdjacent(b, Broadcast(xb + 8)), pair);
        if (n > 3) i3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, Broadcast(x + 12)) + Avx2.MultiplyAddAdjacent(b, Broadcast(xb + 12)), pair);
        x += 8 * n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();
}
