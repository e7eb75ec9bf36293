using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>Decodes GGUF rows of the scale/min formats into what <see cref="PackedScaleMinWeight"/> lays out: per column an
/// unsigned value q, per block an F32 scale and min with value = scale·q − min (exact: an F16 times a small integer
/// fits an F32). Block layouts follow ggml: Q4_1 {f16 d, m; u8 qs[16]}, Q5_1 {f16 d, m; u32 qh; u8 qs[16]}.
/// Load-time code: plain and scalar.</summary>
internal static unsafe class ScaleMinRows
{
    public static void Decode(GgmlType type, byte* row, int k, byte* q, float* scale, float* min)
    {
        switch (type)
        {
            case GgmlType.Q4_1: Q4_1(row, k, q, scale, min); break;
            case GgmlType.Q5_1: Q5_1(row, k, q, scale, min); break;
            default: throw new ArgumentException($"{type} is not a scale/min format");
        }
    }

    private static void Q4_1(byte* row, int k, byte* q, float* scale, float* min)
    {
        for (int b = 0; b < k / 32; b++, row += 20, q += 32)
        {
            scale[b] = HalfBits.ToFloat(*(ushort*)row);
            min[b] = -HalfBits.ToFloat(*(ushort*)(row + 2));
            for (int j = 0; j < 16; j++) { q[j] = (byte)(row[4 + j] & 0xF); q[j + 16] = (byte)(row[4 + j] >> 4); }
        }
    }

    private static void Q5_1(byte* row, int k, byte* q, float* scale, float* min)
    {
        for (int b = 0; b < k / 32; b++, row += 24, q += 32)
        {
            scale[b] = HalfBits.ToFloat(*(ushort*)row);
            min[b] = -HalfBits.ToFloat(*(ushort*)(row + 2));
            uint qh = *(uint*)(row + 4);
            for (int j = 0; j < 16; j++)
            {
                q[j] = (byte)((row[8 + j] & 0xF) | (int)((qh >> j) & 1) << 4);
                q[j + 16] = (byte)((row[8 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4);
            }
        }
    }
}
