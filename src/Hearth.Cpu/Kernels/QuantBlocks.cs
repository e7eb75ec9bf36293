using System.Runtime.CompilerServices;
namespace Hearth.Cpu.Kernels;

/// <summary>Unpacks GGUF quantized rows into int8 values plus per-group scales (the layout the integer dot
/// kernels consume) and dequantizes rows to F32 (for embedding lookups). Block layouts follow ggml:
/// Q4_0 = {f16 d; u8 qs[16]}, Q8_0 = {f16 d; i8 qs[32]}, Q4_K = {f16 d, dmin; u8 scales[12]; u8 qs[128]},
/// Q6_K = {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}.</summary>
internal static unsafe class QuantBlocks
{
    public const int Q4_0Bytes = 18, Q5_0Bytes = 22, Q8_0Bytes = 34, Q2_KBytes = 84, Q3_KBytes = 110, Q4_KBytes = 144, Q5_KBytes = 176, Q6_KBytes = 210;

    /// <summary>Q8_0 row: scales to F32 (the int8 values are used in place).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0Scales(byte* row, int nb, float* d)
    {
        for (int b = 0; b < nb; b++) d[b] = HalfBits.ToFloat(*(ushort*)(row + b * Q8_0Bytes));
    }

    /// <summary>Q4_0 row → int8 values in [-8, 7] (32 per block, contiguous) and F32 scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_0(byte* row, int nb, sbyte* q, float* d)
    {
        for (int b = 0; b < nb; b++)
        {
            byte* blk = row + b * Q4_0Bytes;
            d[b] = HalfBits.ToFloat(*(ushort*)blk);
            byte* qs = blk + 2;
            sbyte* o = q + b * 32;
            for (int j = 0; j < 16; j++)
            {
                o[j] = (sbyte)((qs[j] & 0xF) - 8);
                o[j + 16] = (sbyte)((qs[j] >> 4) - 8);
            }
        }
    }

    /// <summary>Q5_0 row ({f16 d; u8 qh[4]; u8 qs[16]}: the fifth bit of value j is bit j of qh) → int8 values in
    /// [-16, 15] (32 per block, contiguous) and F32 scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q5_0(byte* row, int nb, sbyte* q, float* d)
    {
        for (int b = 0; b < nb; b++)
        {
            byte* blk = row + b * Q5_0Bytes;
            d[b] = HalfBits.ToFloat(*(ushort*)blk);
            uint qh = *(uint*)(blk + 2);
            byte* qs = blk + 6;
            sbyte* o = q + b * 32;
            for (int j = 0; j < 16; j++)
            {
                o[j] = (sbyte)(((qs[j] & 0xF) | (int)((qh >> j) & 1) << 4) - 16);
                o[j + 16] = (sbyte)(((qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4) - 16);
            }
        }
    }

    /// <summary>Q4_K row → int8 values in [0, 15], per super-block d and dmin, and per 32-group 6-bit scale and min.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_K(byte* row, int nb, sbyte* q, float* d, float* dmin, int* scales, int* mins)
    {
        for (int b = 0; b < nb; b++)
        {
            byte* blk = row + b * Q4_KBytes;
            d[b] = HalfBits.ToFloat(*(ushort*)blk);
            dmin[b] = HalfBits.ToFloat(*(ushort*)(blk + 2));
            byte* sc = blk + 4;
            for (int j = 0; j < 8; j++)
            {
                int s, m;
                if (j < 4) { s = sc[j] & 63; m = sc[j + 4] & 63; }
                else { s = (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4); m = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4); }
                scales[b * 8 + j] = s;
                mins[b * 8 + j] = m;
            }
            byte* qs = blk + 16;
            sbyte* o = q + b * 256;
            for (int c = 0; c < 4; c++)
                for (int l = 0; l < 32; l++)
                {
                    o[c * 64 + l] = (sbyte)(qs[c * 32 + l] & 0xF);
                    o[c * 64 + 32 + l] = (sbyte)(qs[c * 32 + l] >> 4);
                }
        }
    }

    /// <summary>Q6_K row → int8 values in [-32, 31], per super-block d, and per 16-group int8 scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_K(byte* row, int nb, sbyte* q, float* d, int* scales)
    {
        for (int b = 0; b < nb; b++)
        {
            byte* blk = row + b * Q6_KBytes;
            byte* ql = blk;
            byte* qh = blk + 128;
            sbyte* sc = (sbyte*)(blk + 192);
            d[b] = HalfBits.ToFloat(*(ushort*)(blk + 208));
            for (int g = 0; g < 16; g++) scales[b * 16 + g] = sc[g];
            sbyte* o = q + b * 256;
            for (int half = 0; half < 2; half++)
            {
                byte* l8 = ql + half * 64;
                byte* h8 = qh + half * 32;
                sbyte* y = o + half * 128;
                for (int l = 0; l < 32; l++)
                {
                    y[l] = (sbyte)(((l8[l] & 0xF) | (((h8[l] >> 0) & 3) << 4)) - 32);
                    y[l + 32] = (sbyte)(((l8[l + 32] & 0xF) | (((h8[l] >> 2) & 3) << 4)) - 32);
                    y[l + 64] = (sbyte)(((l8[l] >> 4) | (((h8[l] >> 4) & 3) << 4)) - 32);
                    y[l + 96] = (sbyte)(((l8[l + 32] >> 4) | (((h8[l] >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }
}
