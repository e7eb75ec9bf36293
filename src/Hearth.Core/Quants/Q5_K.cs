using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q5_K super-block of 256: like Q4_K plus a fifth bit per weight in qh
/// (bit 2k of qh[l] for sub-block 2k, bit 2k+1 for sub-block 2k+1).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ5_K
{
    public const int Elements = 256;
    public const int Bytes = 176;
    public ushort D;
    public ushort DMin;
    public fixed byte Scales[12];
    public fixed byte Qh[32];
    public fixed byte Qs[128];
}

/// <summary>Q5_K dequantization and a reference-style quantizer.</summary>
public static class Q5_K
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            var raw = src.Slice(b * BlockQ5_K.Bytes, BlockQ5_K.Bytes);
            float d = QuantMath.HalfToFloat((ushort)(raw[0] | raw[1] << 8));
            float min = QuantMath.HalfToFloat((ushort)(raw[2] | raw[3] << 8));
            var scales = raw.Slice(4, 12);
            var qh = raw.Slice(16, 32);
            var qs = raw.Slice(48, 128);
            var y = dst.Slice(b * 256, 256);
            int u1 = 1, u2 = 2;
            for (int j = 0, sub = 0; j < 256; j += 64, sub += 2, u1 <<= 2, u2 <<= 2)
            {
                QuantMath.ScaleMinK4(sub, scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = min * m;
                QuantMath.ScaleMinK4(sub + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                var ql = qs.Slice(j / 2, 32);
                for (int l = 0; l < 32; l++) y[j + l] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; l++) y[j + 32 + l] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    /// <summary>ggml's reference algorithm (quantize_row_q5_K_ref's scale search without its importance weights):
    /// the Q4_K scale/min fit into 0..31, then low nibbles in qs and the fifth bits in qh.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> L = stackalloc byte[256];
        for (int b = 0; b < src.Length / 256; b++)
        {
            var raw = dst.Slice(b * BlockQ5_K.Bytes, BlockQ5_K.Bytes);
            raw.Clear();
            Q4_K.QuantizeScaleMin(src.Slice(b * 256, 256), 31, raw, L);
            var qh = raw.Slice(16, 32);
            var ql = raw.Slice(48, 128);
            byte m1 = 1, m2 = 2;
            for (int n = 0; n < 256; n += 64, m1 <<= 2, m2 <<= 2)
                for (int j = 0; j < 32; j++)
                {
                    int l1 = L[n + j], l2 = L[n + j + 32];
                    if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                    if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                    ql[n / 2 + j] = (byte)(l1 | (l2 << 4));
                }
        }
    }
}
