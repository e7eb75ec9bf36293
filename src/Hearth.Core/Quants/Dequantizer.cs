using Hearth.Core.Gguf;

namespace Hearth.Core.Quants;

/// <summary>Converts GGUF tensor data of any supported <see cref="GgmlType"/> to float32, exactly as ggml's
/// to_float row converters do (bit-identical results).</summary>
public static class Dequantizer
{
    /// <summary>True when <see cref="Dequantize"/> handles the type.</summary>
    public static bool Supports(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K
        or GgmlType.IQ4_NL or GgmlType.IQ4_XS or GgmlType.MXFP4;

    /// <summary>Dequantizes <paramref name="dst"/>.Length elements from <paramref name="src"/>.
    /// dst.Length must be a whole number of blocks and src must hold at least that many blocks.</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (!Supports(type))
            throw new NotSupportedException($"dequantizing {type} is not supported");
        long need = GgmlTypeInfo.RowBytes(type, dst.Length); // also checks the block multiple
        if (src.Length < need)
            throw new ArgumentException($"{type}: {dst.Length} elements need {need} bytes, got {src.Length}");
        src = src[..(int)need];
        switch (type)
        {
            case GgmlType.F32: FloatFormats.DequantizeF32(src, dst); break;
            case GgmlType.F16: FloatFormats.DequantizeF16(src, dst); break;
            case GgmlType.BF16: FloatFormats.DequantizeBF16(src, dst); break;
            case GgmlType.Q4_0: Q4_0.Dequantize(src, dst); break;
            case GgmlType.Q4_1: Q4_1.Dequantize(src, dst); break;
            case GgmlType.Q5_0: Q5_0.Dequantize(src, dst); break;
            case GgmlType.Q5_1: Q5_1.Dequantize(src, dst); break;
            case GgmlType.Q8_0: Q8_0.Dequantize(src, dst); break;
            case GgmlType.Q2_K: Q2_K.Dequantize(src, dst); break;
            case GgmlType.Q3_K: Q3_K.Dequantize(src, dst); break;
            case GgmlType.Q4_K: Q4_K.Dequantize(src, dst); break;
            case GgmlType.Q5_K: Q5_K.Dequantize(src, dst); break;
            case GgmlType.Q6_K: Q6_K.Dequantize(src, dst); break;
            case GgmlType.Q8_K: Q8_K.Dequantize(src, dst); break;
            case GgmlType.IQ4_NL: IQ4_NL.Dequantize(src, dst); break;
            case GgmlType.IQ4_XS: IQ4_XS.Dequantize(src, dst); break;
            case GgmlType.MXFP4: MXFP4.Dequantize(src, dst); break;
        }
    }

    /// <summary>Dequantizes a whole tensor of an open GGUF file (tensors up to 2 GiB of data).</summary>
    public static float[] DequantizeTensor(GgufFile file, GgufTensorInfo tensor)
    {
        var result = new float[checked((int)tensor.ElementCount)];
        Dequantize(tensor.Type, file.GetTensorBytes(tensor), result);
        return result;
    }
}
