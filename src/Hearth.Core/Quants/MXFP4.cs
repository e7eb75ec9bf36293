namespace Hearth.Core.Quants;

/// <summary>MXFP4 (OCP microscaling FP4): blocks of 32 = {u8 e (E8M0 exponent); u8 qs[16]}, value =
/// kvalues_mxfp4[nibble] · 2^(e − 128) (the doubled E2M1 table under half the E8M0 scale, as ggml stores it).
/// The quantizer picks the smallest exponent that fits the block's largest magnitude, then the nearest values
/// (a valid block, not necessarily ggml's choice of exponent).</summary>
public static class MXFP4
{
    public const int Bytes = 17;

    /// <summary>2^(e − 128) as F32 (ggml's GGML_E8M0_TO_FP32_HALF), exact for every e including the subnormal e &lt; 2.</summary>
    public static float Scale(byte e) =>
        BitConverter.UInt32BitsToSingle(e < 2 ? 0x00200000u << e : (uint)(e - 1) << 23);

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            var raw = src.Slice(b * Bytes, Bytes);
            NonLinearTables.UnpackNibbles(NonLinearTables.Mxfp4, raw[1..], Scale(raw[0]), dst.Slice(b * 32, 32));
        }
    }

    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int b = 0; b < src.Length / 32; b++)
        {
            var x = src.Slice(b * 32, 32);
            var raw = dst.Slice(b * Bytes, Bytes);
            float amax = MathF.Abs(NonLinearTables.SignedMax(x));
            byte e = 0;
            while (e < 254 && 12 * Scale(e) < amax) e++;
            raw[0] = e;
            NonLinearTables.PackNibbles(NonLinearTables.Mxfp4, x, Scale(e), raw[1..]);
        }
    }
}
