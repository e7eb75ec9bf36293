using System.Runtime.InteropServices;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q4_1, Q5_1 or Q2_K weight re-laid out for the AVX-VNNI outer-product kernel in the shape of
/// <see cref="PackedKQuantWeight"/>: rows in groups of 8, blocks of the format's scale granularity (32 columns; 16 for
/// Q2_K), per block the 8 rows' F32 scale then F32 min with value = scale·q − min (<see cref="ScaleMinRows"/>).
/// Values of up to 4 bits are kept as nibbles (<see cref="NibbleValues{TSteps}"/>), 5-bit ones as bytes
/// (<see cref="ByteValues"/>): wider than the file (0.75–1.25 bytes a weight with the F32 scales), in
/// exchange for one kernel for all of them and no bit unpacking in the inner loop.</summary>
public sealed unsafe class PackedScaleMinWeight : PackedWeight
{
    private readonly int _blockColumns;
    private readonly bool _bytes;
    private readonly bool _kQuant;

    private PackedScaleMinWeight(Weight source, int blockColumns, bool bytes)
        : base(source, blockColumns, bytes ? GroupRows * blockColumns : GroupRows * blockColumns / 2, GroupRows * 2 * sizeof(float))
    {
        _blockColumns = blockColumns;
        _bytes = bytes;
        _kQuant = source.Type is GgmlType.Q2_K;
    }

    /// <summary>True for the types this layout takes, at widths whose blocks it can hold.</summary>
    public static bool Packs(GgmlType type, int columns) => type switch
    {
        GgmlType.Q4_1 or GgmlType.Q5_1 => columns % 32 == 0,
        GgmlType.Q2_K => columns % 256 == 0,
        _ => false,
    };

    public static PackedScaleMinWeight Pack(Weight w)
    {
        if (!Packs(w.Type, w.Columns)) throw new ArgumentException($"weight '{w.Name}' ({w.Type}, {w.Columns} columns) has no scale/min packed layout");
        int bc = ScaleMinRows.BlockColumns(w.Type);
        var p = new PackedScaleMinWeight(w, bc, w.Type is GgmlType.Q5_1);
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

    /// <remarks>Q8_K for the K-quants and Q8_0 (one F16-rounded scale per 32) for Q4_1/Q5_1, the activation types llama.cpp
    /// pairs them with (its Q8_1 for Q4_1/Q5_1 is Q8_0 plus a sum); the correction is, as F32 bits, −(token scale)·Σx
    /// over the block, which the kernel multiplies by the rows' mins.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        int per = _kQuant ? 256 : 32;
        float* tokenScales = stackalloc float[Columns / per];
        if (_kQuant)
        {
            int* sums = stackalloc int[Columns / 16];
            QuantizeActivations.Q8_K(isa, x, Columns, q, tokenScales, sums);
        }
        else QuantizeActivations.Q8_0(isa, x, Columns, q, tokenScales);
        for (int b = 0; b < Blocks; b++)
        {
            int sum = 0;
            for (int i = b * _blockColumns; i < (b + 1) * _blockColumns; i++) sum += q[i];
            float scale = tokenScales[b * _blockColumns / per];
            d[b] = scale;
            c[b] = BitConverter.SingleToInt32Bits(-(scale * sum));
        }
    }

    /// <remarks><paramref name="xc"/> holds, as F32 bits, −(token scale)·Σx over each block.</remarks>
    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        byte* q = GroupQuants(group), s = GroupScales(group);
        if (_bytes) PackedGemm.Tile<ScaleMinFormat<ByteValues>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
        else if (_blockColumns == 32) PackedGemm.Tile<ScaleMinFormat<NibbleValues<Count8>>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
        else PackedGemm.Tile<ScaleMinFormat<NibbleValues<Count4>>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
    }
}
