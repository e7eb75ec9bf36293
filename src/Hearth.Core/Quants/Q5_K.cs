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

/// <summary>Q5_K dequantization.</summary>
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
}
