namespace Hearth.Core.Quants;

/// <summary>IQ4_XS: super-blocks of 256 = {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]}; sub-block ib (32 values)
/// has the 6-bit scale ls = low nibble ib of scales_l | 2 bits ib of scales_h &lt;&lt; 4 and values
/// d·(ls − 32)·kvalues_iq4nl[nibble], 16 bytes of nibbles per sub-block. The quantizer is a plain rounding (sub-block
/// scales max/−127, their 6-bit codes against the largest), not llama-quantize's search.</summary>
public static class IQ4_XS
{
    public const int Bytes = 136;

    /// <summary>Sub-block <paramref name="ib"/>'s 6-bit scale code.</summary>
    public static int ScaleCode(ReadOnlySpan<byte> raw, int ib) =>
        ((raw[4 + ib / 2] >> (4 * (ib % 2))) & 0xF) | (((raw[2] | raw[3] << 8) >> (2 * ib)) & 3) << 4;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            var raw = src.Slice(b * Bytes, Bytes);
            float d = QuantMath.HalfToFloat((ushort)(raw[0] | raw[1] << 8));
            for (int ib = 0; ib < 8; ib++)
            {
                float dl = d * (ScaleCode(raw, ib) - 32);
                NonLinearTables.UnpackNibbles(NonLinearTables.Iq4, raw.Slice(8 + ib * 16, 16), dl, dst.Slice(b * 256 + ib * 32, 32));
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<float> scales = stackalloc float[8];
        for (int b = 0; b < src.Length / 256; b++)
        {
            var x = src.Slice(b * 256, 256);
            var raw = dst.Slice(b * Bytes, Bytes);
            raw.Clear();
            for (int ib = 0; ib < 8; ib++) scales[ib] = NonLinearTables.SignedMax(x.Slice(ib * 32, 32)) / -127f;
            float smax = NonLinearTables.SignedMax(scales);
            ushort dh = QuantMath.FloatToHalf(smax / -32f);
            float d = QuantMath.HalfToFloat(dh);
            raw[0] = (byte)dh; raw[1] = (byte)(dh >> 8);
            int scalesH = 0;
            for (int ib = 0; ib < 8; ib++)
            {
                int code = d == 0 ? 32 : Math.Clamp(QuantMath.NearestInt(scales[ib] / d), -32, 31) + 32;
                raw[4 + ib / 2] |= (byte)((code & 0xF) << (4 * (ib % 2)));
                scalesH |= (code >> 4) << (2 * ib);
                NonLinearTables.PackNibbles(NonLinearTables.Iq4, x.Slice(ib * 32, 32), d * (code - 32), raw.Slice(8 + ib * 16, 16));
            }
            raw[2] = (byte)scalesH; raw[3] = (byte)(scalesH >> 8);
        }
    }
}
