using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q6_K weight re-laid out for the AVX-VNNI outer-product kernel (<see cref="PackedGemm"/> with <see cref="Q6_KFormat"/>): rows in
/// groups of 8 and 16-column blocks (Q6_K's scale granularity). Per group and block, four 32-byte steps hold 4 columns
/// of each of the 8 rows as the unsigned 6-bit value q + 32 (0..63); then the rows' F32 scales d·sc (exact: an F16
/// times an int8). Value = scale·(stored − 32).</summary>
public sealed unsafe class PackedQ6_KWeight : PackedWeight
{
    private const int QuantBytes = 128;

    private PackedQ6_KWeight(Weight source) : base(source, 16, QuantBytes, GroupRows * sizeof(float)) { }

    /// <summary>Group g, block b: 8 row scales at Scales + (g·Blocks + b)·8.</summary>
    public float* Scales => (float*)ScaleData;

    public static PackedQ6_KWeight Pack(Weight w)
    {
        if (w.Type != GgmlType.Q6_K || w.Columns % 256 != 0)
            throw new ArgumentException($"weight '{w.Name}' is not a Q6_K matrix");
        var p = new PackedQ6_KWeight(w);
        int nb = p.Blocks;
        // Padding rows: value 32 (a stored zero) with scale 0.
        System.Runtime.InteropServices.NativeMemory.Fill(p.Quants, (nuint)((long)p.Groups * nb * QuantBytes), 32);
        System.Runtime.InteropServices.NativeMemory.Clear(p.Scales, (nuint)((long)p.Groups * nb * GroupRows * sizeof(float)));
        byte* values = stackalloc byte[256];
        for (int row = 0; row < w.Rows; row++)
        {
            int g = row / GroupRows, r = row % GroupRows;
            byte* src = w.Row(row);
            for (int sb = 0; sb < w.Columns / 256; sb++)
            {
                byte* blk = src + (long)sb * QuantBlocks.Q6_KBytes;
                sbyte* sc = (sbyte*)(blk + 192);
                float d = HalfBits.ToFloat(*(ushort*)(blk + 208));
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
                for (int b16 = 0; b16 < 16; b16++)
                {
                    long gb = (long)g * nb + sb * 16 + b16;
                    p.Scales[gb * GroupRows + r] = d * sc[b16];
                    byte* dst = p.Quants + gb * QuantBytes;
                    for (int j = 0; j < 4; j++)
                        for (int i = 0; i < 4; i++)
                            dst[j * 32 + r * 4 + i] = values[b16 * 16 + j * 4 + i];
                }
            }
        }
        return p;
    }

    /// <remarks>Q8_K, as llama.cpp pairs with Q6_K (one scale per 256 columns, repeated per 16-column block); the
    /// correction −32·Σx over the block cancels the +32 the packed values carry.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        int* sums = stackalloc int[Columns / 16];
        float* scales = stackalloc float[Columns / 256];
        QuantizeActivations.Q8_K(isa, x, Columns, q, scales, sums);
        for (int b = 0; b < Blocks; b++)
        {
            d[b] = scales[b / 16];
            c[b] = -32 * sums[b];
        }
    }

    /// <remarks><paramref name="xc"/> holds −32·Σx over each 16-column block.</remarks>
    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows) =>
        PackedGemm.Tile<Q6_KFormat>(groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
}
