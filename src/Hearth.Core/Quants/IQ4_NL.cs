namespace Hearth.Core.Quants;

/// <summary>IQ4_NL: blocks of 32 = {f16 d; u8 qs[16]}, value = d · kvalues_iq4nl[nibble] (nibble layout of
/// <see cref="NonLinearTables.PackNibbles"/>). The quantizer is a plain nearest-value rounding under d = max/−127
/// (a valid block, not llama-quantize's scale search).</summary>
public static class IQ4_NL
{
    public const int Bytes = 18;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            var raw = src.Slice(b * Bytes, Bytes);
            float d = QuantMath.HalfToFloat((ushort)(raw[0] | raw[1] << 8));
            NonLinearTables.UnpackNibbles(NonLinearTables.Iq4, raw[2..], d, dst.Slice(b * 32, 32));
        }
    }

    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int b = 0; b < src.Length / 32; b++)
        {
            var x = src.Slice(b * 32, 32);
            var raw = dst.Slice(b * Bytes, Bytes);
            ushort dh = QuantMath.FloatToHalf(NonLinearTables.SignedMax(x) / -127f);
            raw[0] = (byte)dh; raw[1] = (byte)(dh >> 8);
            NonLinearTables.PackNibbles(NonLinearTables.Iq4, x, QuantMath.HalfToFloat(dh), raw[2..]);
        }
    }
}
