using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>The unblocked float formats: F32, F16 (IEEE half) and BF16, little-endian.</summary>
public static class FloatFormats
{
    public static void DequantizeF32(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(src)[..dst.Length].CopyTo(dst);
            return;
        }
        for (int i = 0; i < dst.Length; i++)
            dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src.Slice(i * 4, 4));
    }

    public static void QuantizeF32(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(dst.Slice(i * 4, 4), src[i]);
    }

    public static void DequantizeF16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++)
            dst[i] = QuantMath.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(i * 2, 2)));
    }

    public static void QuantizeF16(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(i * 2, 2), QuantMath.FloatToHalf(src[i]));
    }

    public static void DequantizeBF16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++)
            dst[i] = QuantMath.BF16ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(i * 2, 2)));
    }

    public static void QuantizeBF16(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(i * 2, 2), QuantMath.FloatToBF16(src[i]));
    }
}
