using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q6_K super-block of 256: 6-bit quants (low 4 bits in ql, high 2 bits in qh),
/// 16 int8 scales for sub-blocks of 16, super-block d. Value = d × scale × (q − 32).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ6_K
{
    public const int Elements = 256;
    public const int Bytes = 210;
    public fixed byte Ql[128];
    public fixed byte Qh[64];
    public fixed sbyte Scales[16];
    public ushort D;
}

/// <summary>Q6_K dequantization and ggml's reference quantizer (quantize_row_q6_K_ref).</summary>
public static class Q6_K
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            var raw = src.Slice(b * BlockQ6_K.Bytes, BlockQ6_K.Bytes);
            float d = QuantMath.HalfToFloat((ushort)(raw[208] | raw[209] << 8));
            var y = dst.Slice(b * 256, 256);
            for (int n = 0; n < 2; n++)
            {
                var ql = raw.Slice(64 * n, 64);
                var qh = raw.Slice(128 + 32 * n, 32);
                var sc = MemoryMarshal.Cast<byte, sbyte>(raw.Slice(192 + 8 * n, 8));
                var yy = y.Slice(128 * n, 128);
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    yy[l] = d * sc[s] * q1;
                    yy[l + 32] = d * sc[s + 2] * q2;
                    yy[l + 64] = d * sc[s + 4] * q3;
                    yy[l + 96] = d * sc[s + 6] * q4;
                }
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<sbyte> L = stackalloc sbyte[256];
        Span<float> scales = stackalloc float[16];
        for (int b = 0; b < src.Length / 256; b++)
        {
            var x = src.Slice(b * 256, 256);
            var raw = dst.Slice(b * BlockQ6_K.Bytes, BlockQ6_K.Bytes);
            raw.Clear();
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++)
            {
                float scale = KQuantSearch.MakeQx(16, 32, x.Slice(16 * ib, 16), L.Slice(16 * ib, 16));
                scales[ib] = scale;
                if (MathF.Abs(scale) > maxAbsScale) { maxAbsScale = MathF.Abs(scale); maxScale = scale; }
            }
            if (maxAbsScale < KQuantSearch.GroupMaxEps)
                continue; // all-zero block: d = 0, everything zero
            float iscale = -128f / maxScale;
            ushort dh = QuantMath.FloatToHalf(1 / iscale);
            raw[208] = (byte)dh; raw[209] = (byte)(dh >> 8);
            var sc = MemoryMarshal.Cast<byte, sbyte>(raw.Slice(192, 16));
            for (int ib = 0; ib < 16; ib++)
                sc[ib] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * scales[ib]));
            float dF = QuantMath.HalfToFloat(dh);
            for (int j = 0; j < 16; j++)
            {
                float d = dF * sc[j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++)
                    L[16 * j + ii] = (sbyte)(Math.Clamp(QuantMath.NearestInt(x[16 * j + ii] / d), -32, 31) + 32);
            }
            for (int n = 0; n < 2; n++)
            {
                var ql = raw.Slice(64 * n, 64);
                var qh = raw.Slice(128 + 32 * n, 32);
                int j = 128 * n;
                for (int l = 0; l < 32; l++)
                {
                    int a = L[j + l], bq = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
                    ql[l] = (byte)((a & 0xF) | ((c & 0xF) << 4));
                    ql[l + 32] = (byte)((bq & 0xF) | ((e & 0xF) << 4));
                    qh[l] = (byte)((a >> 4) | ((bq >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
                }
            }
        }
    }
}
