using System.Runtime.InteropServices;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q4_1 or Q5_1 weight re-laid out for the AVX-VNNI outer-product kernel in the shape of
/// <see cref="PackedKQuantWeight"/>: rows in groups of 8, 32-column blocks, per block the 8 rows' F32 scale then F32
/// min with value = scale·q − min (<see cref="ScaleMinRows"/>). Q4_1's values are kept as nibbles
/// (<see cref="NibbleValues{TSteps}"/>), Q5_1's as bytes (<see cref="ByteValues"/>): wider than the file (6 and 10 bits
/// a weight against 5 and 6), in exchange for the generic kernel and no bit unpacking in the inner loop. (The K-quants
/// have layouts in their files' bytes: <see cref="PackedKQuantWeight"/>, <see cref="PackedLowBitKWeight"/>.)</summary>
public sealed unsafe class PackedScaleMinWeight : PackedWeight
{
    private const int BlockColumns = 32;
    private readonly bool _bytes;

    private PackedScaleMinWeight(Weight source, bool bytes)
        : base(source, BlockColumns, bytes ? GroupRows * BlockColumns : GroupRows * BlockColumns / 2, GroupRows * 2 * sizeof(float))
    {
        _bytes = bytes;
    }

    /// <summary>True for the types this layout takes, at widths whose blocks it can hold.</summary>
    public static bool Packs(GgmlType type, int columns) => type is GgmlType.Q4_1 or GgmlType.Q5_1 && columns % BlockColumns == 0;

    public static PackedScaleMinWeight Pack(Weight w)
    {
        if (!Packs(w.Type, w.Columns)) throw new ArgumentException($"weight '{w.Name}' ({w.Type}, {w.Columns} columns) has no scale/min packed layout");
        const int bc = BlockColumns;
        var p = new PackedScaleMinWeight(w, w.Type is GgmlType.Q5_1);
        int nb = p.Blocks, quantBytes = p._bytes ? GroupRows * bc : GroupRows * bc / 2;
        NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * nb * quantBytes));
        float* scales = (float*)p.ScaleData;
        NativeMemory.Clear(scales, (nuint)((long)p.Groups * nb * GroupRows * 2 * sizeof(float)));
        var values = new byte[w.Columns];
        var rowScales = new float[nb];
        var rowMins = new float[nb];
        fixed (byte* v = values)
        fixed (float* s = rowScales, m = rowMins)
            for (int row = 0; row < w.Rows; row++)
            {
                int g = row / GroupRows, r = row % GroupRows;
                ScaleMinRows.Decode(w.Type, w.Row(row), w.Columns, v, s, m);
                for (int b = 0; b < nb; b++)
                {
                    long gb = (long)g * nb + b;
                    scales[gb * 16 + r] = s[b];
                    scales[gb * 16 + 8 + r] = m[b];
                    byte* dst = p.Quants + gb * quantBytes;
                    byte* q = v + b * bc;
                    if (!p._bytes) NibbleLayout.PutRow(dst, r, q, bc);
                    else for (int j = 0; j < bc / 4; j++) *(uint*)(dst + j * 32 + r * 4) = ((uint*)q)[j]; // step j's 4 bytes
                }
            }
        return p;
    }

    /// <remarks>Q8_0 (one F16-rounded scale per 32), the activation type llama.cpp pairs Q4_1/Q5_1 with (its Q8_1 is
    /// Q8_0 plus a sum); the correction is, as F32 bits, −(token scale)·Σx over the block, which the kernel multiplies by
    /// the rows' mins.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        QuantizeActivations.Q8_0(isa, x, Columns, q, d);
        for (int b = 0; b < Blocks; b++)
        {
            int sum = 0;
            for (int i = b * BlockColumns; i < (b + 1) * BlockColumns; i++) sum += q[i];
            c[b] = BitConverter.SingleToInt32Bits(-(d[b] * sum));
        }
    }

    /// <remarks><paramref name="xc"/> holds, as F32 bits, −(token scale)·Σx over each block.</remarks>
    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        byte* q = GroupQuants(group), s = GroupScales(group);
        if (_bytes) PackedGemm.Tile<ScaleMinFormat<ByteValues>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
        else PackedGemm.Tile<ScaleMinFormat<NibbleValues<Count8>>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
    }
}
