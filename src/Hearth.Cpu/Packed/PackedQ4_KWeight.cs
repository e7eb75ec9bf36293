using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q4_K weight re-laid out for the AVX-VNNI outer-product kernel (<see cref="PackedGemm"/> with <see cref="ScaleMinFormat{TValues}"/>), in the
/// shape of <see cref="PackedQ8_0Weight"/>: rows in groups of 8, 32-column sub-blocks. Per group and sub-block, four
/// 32-byte vectors hold the 4-bit values of steps 2v (low nibble) and 2v+1 (high nibble), step j being columns
/// 4j..4j+3 of each of the 8 rows (row r at bytes 4r..4r+3); then the rows' F32 scale d·sc and min dmin·m of that
/// sub-block (exact: an F16 times a 6-bit integer fits an F32 mantissa). Value = scale·q − min, q in 0..15.</summary>
public sealed unsafe class PackedQ4_KWeight : PackedWeight
{
    private const int QuantBytes = 128;

    private PackedQ4_KWeight(Weight source) : base(source, 32, QuantBytes, GroupRows * 2 * sizeof(float)) { }

    /// <summary>Group g, sub-block b: 8 scales then 8 mins at Scales + (g·Blocks + b)·16.</summary>
    public float* Scales => (float*)ScaleData;

    public static PackedQ4_KWeight Pack(Weight w)
    {
        if (w.Type != GgmlType.Q4_K || w.Columns % 256 != 0)
            throw new ArgumentException($"weight '{w.Name}' is not a Q4_K matrix");
        var p = new PackedQ4_KWeight(w);
        int nb = p.Blocks;
        System.Runtime.InteropServices.NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * nb * QuantBytes));
        System.Runtime.InteropServices.NativeMemory.Clear(p.Scales, (nuint)((long)p.Groups * nb * GroupRows * 2 * sizeof(float)));
        for (int row = 0; row < w.Rows; row++)
        {
            int g = row / GroupRows, r = row % GroupRows;
            byte* src = w.Row(row);
            for (int sb = 0; sb < nb / 8; sb++)
            {
                byte* blk = src + (long)sb * QuantBlocks.Q4_KBytes;
                float d = HalfBits.ToFloat(*(ushort*)blk), dmin = HalfBits.ToFloat(*(ushort*)(blk + 2));
                byte* s = blk + 4;
                for (int sub = 0; sub < 8; sub++)
                {
                    QuantMath.ScaleMinK4(sub, new ReadOnlySpan<byte>(s, 12), out byte sc, out byte m);
                    long gb = (long)g * nb + sb * 8 + sub;
                    p.Scales[gb * 16 + r] = d * sc;
                    p.Scales[gb * 16 + 8 + r] = dmin * m;
                    // Sub-block 2c takes the low nibbles of qs[32c .. 32c+31], sub-block 2c+1 the high ones.
                    byte* qs = blk + 16 + (sub / 2) * 32;
                    int shift = (sub & 1) * 4;
                    byte* dst = p.Quants + gb * QuantBytes;
                    for (int c = 0; c < 32; c++) NibbleLayout.Put(dst, r, c, (qs[c] >> shift) & 0xF);
                }
            }
        }
        return p;
    }

    /// <remarks>Q8_K, as llama.cpp pairs with Q4_K (one scale per 256 columns, repeated per sub-block); the correction
    /// is, as F32 bits, −(token scale)·Σx over the sub-block, which the kernel multiplies by the rows' mins.</remarks>
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
    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows) =>
        PackedGemm.Tile<ScaleMinFormat<NibbleValues<Count8>>>(groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
}
