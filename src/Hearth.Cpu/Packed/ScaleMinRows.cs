using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>Decodes GGUF rows of the scale/min formats into what <see cref="PackedScaleMinWeight"/> lays out (and Q3_K
/// and Q2_K values for <see cref="PackedLowBitKWeight"/>): per column an
/// unsigned value q, per block an F32 scale and min with value = scale·q − min (exact: an F16 times a small integer
/// fits an F32). Block layouts follow ggml: Q4_1 {f16 d, m; u8 qs[16]}, Q5_1 {f16 d, m; u32 qh; u8 qs[16]},
/// Q2_K {u8 scales[16]; u8 qs[64]; f16 d, dmin}, Q3_K
/// {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}. Load-time code: plain and scalar.</summary>
internal static unsafe class ScaleMinRows
{
    public static void Decode(GgmlType type, byte* row, int k, byte* q, float* scale, float* min)
    {
        switch (type)
        {
            case GgmlType.Q4_1: Q4_1(row, k, q, scale, min); break;
            case GgmlType.Q5_1: Q5_1(row, k, q, scale, min); break;
            case GgmlType.Q2_K: Q2_K(row, k, q, scale, min); break;
            case GgmlType.Q3_K: Q3_K(row, k, q, scale, min); break;
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

    private static void Q2_K(byte* row, int k, byte* q, float* scale, float* min)
    {
        for (int sb = 0; sb < k / 256; sb++, row += 84)
        {
            float d = HalfBits.ToFloat(*(ushort*)(row + 80)), dmin = HalfBits.ToFloat(*(ushort*)(row + 82));
            for (int s = 0; s < 16; s++)
            {
                scale[sb * 16 + s] = d * (row[s] & 0xF);
                min[sb * 16 + s] = dmin * (row[s] >> 4);
            }
            for (int v = 0; v < 256; v++) q[sb * 256 + v] = Crumb(row + 16, v);
        }
    }

    private static void Q3_K(byte* row, int k, byte* q, float* scale, float* min)
    {
        Span<sbyte> codes = stackalloc sbyte[16];
        for (int sb = 0; sb < k / 256; sb++, row += 110)
        {
            float d = HalfBits.ToFloat(*(ushort*)(row + 108));
            Core.Quants.Q3_K.UnpackScales(new ReadOnlySpan<byte>(row + 96, 12), codes);
            for (int s = 0; s < 16; s++)
            {
                scale[sb * 16 + s] = d * codes[s];
                min[sb * 16 + s] = 4 * d * codes[s]; // value = scale·(q − 4), q = low 2 bits + 4·(hmask bit)
            }
            for (int v = 0; v < 256; v++) q[sb * 256 + v] = (byte)(Crumb(row + 32, v) | ((row[v % 32] >> (v / 32)) & 1) << 2);
        }
    }

    /// <summary>The 2-bit value v of a 256-value super-block of Q2_K/Q3_K low bits: byte 32·(v/128) + v%32, bits 2·((v%128)/32).</summary>
    private static byte Crumb(byte* qs, int v) => (byte)((qs[(v / 128) * 32 + v % 32] >> (2 * ((v % 128) / 32))) & 3);
}
