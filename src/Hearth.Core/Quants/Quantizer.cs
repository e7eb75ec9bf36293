using Hearth.Core.Gguf;

namespace Hearth.Core.Quants;

/// <summary>Converts float32 to a GGUF tensor type. F16, BF16, Q8_0, Q4_0, Q5_0, Q4_1 and Q5_1 round exactly like ggml's
/// reference quantizers (quantize_row_*_ref), so results are bit-identical to llama-quantize; Q4_K, Q6_K and Q8_K
/// follow ggml's reference algorithms; Q2_K, Q3_K and Q5_K follow them in outline and IQ4_NL, IQ4_XS and MXFP4 round
/// to the nearest table value (valid blocks that any reader decodes the same way, not llama-quantize's bytes).</summary>
public static class Quantizer
{
    /// <summary>True when <see cref="Quantize"/> handles the type.</summary>
    public static bool Supports(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q4_K or GgmlType.Q6_K or GgmlType.Q8_K
        or GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q5_K
        or GgmlType.IQ4_NL or GgmlType.IQ4_XS or GgmlType.MXFP4;

    /// <summary>Quantizes <paramref name="src"/> (a whole number of blocks) into <paramref name="dst"/>,
    /// which must hold at least <see cref="GgmlTypeInfo.RowBytes"/> bytes.</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (!Supports(type))
            throw new NotSupportedException($"quantizing to {type} is not supported");
        long need = GgmlTypeInfo.RowBytes(type, src.Length);
        if (dst.Length < need)
            throw new ArgumentException($"{type}: {src.Length} elements need {need} bytes, got {dst.Length}");
        dst = dst[..(int)need];
        switch (type)
        {
            case GgmlType.F32: FloatFormats.QuantizeF32(src, dst); break;
            case GgmlType.F16: FloatFormats.QuantizeF16(src, dst); break;
            case GgmlType.BF16: FloatFormats.QuantizeBF16(src, dst); break;
            case GgmlType.Q8_0: Q8_0.Quantize(src, dst); break;
            case GgmlType.Q4_0: Q4_0.Quantize(src, dst); break;
            case GgmlType.Q5_0: Q5_0.Quantize(src, dst); break;
            case GgmlType.Q4_K: Q4_K.Quantize(src, dst); break;
            case GgmlType.Q6_K: Q6_K.Quantize(src, dst); break;
            case GgmlType.Q8_K: Q8_K.Quantize(src, dst); break;
            case GgmlType.Q4_1: Q4_1.Quantize(src, dst); break;
            case GgmlType.Q5_1: Q5_1.Quantize(src, dst); break;
            case GgmlType.Q2_K: Q2_K.Quantize(src, dst); break;
            case GgmlType.Q3_K: Q3_K.Quantize(src, dst); break;
            case GgmlType.Q5_K: Q5_K.Quantize(src, dst); break;
            case GgmlType.IQ4_NL: IQ4_NL.Quantize(src, dst); break;
            case GgmlType.IQ4_XS: IQ4_XS.Quantize(src, dst); break;
            case GgmlType.MXFP4: MXFP4.Quantize(src, dst); break;
        }
    }
}
