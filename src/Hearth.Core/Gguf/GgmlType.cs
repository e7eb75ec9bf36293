namespace Hearth.Core.Gguf;

/// <summary>Tensor element types, numbered exactly as ggml numbers them in GGUF files.</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ4_NL = 20,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    BF16 = 30,
    MXFP4 = 39,
}

/// <summary>Block geometry of each <see cref="GgmlType"/>: how many elements a block holds and its size in bytes.</summary>
public static class GgmlTypeInfo
{
    /// <summary>Returns (elements per block, bytes per block), or false for a type Hearth cannot size.</summary>
    public static bool TryGetBlock(GgmlType type, out int blockElements, out int blockBytes)
    {
        (blockElements, blockBytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 => (1, 2),
            GgmlType.BF16 => (1, 2),
            GgmlType.Q4_0 => (32, 18),
            GgmlType.Q4_1 => (32, 20),
            GgmlType.Q5_0 => (32, 22),
            GgmlType.Q5_1 => (32, 24),
            GgmlType.Q8_0 => (32, 34),
            GgmlType.Q8_1 => (32, 36),
            GgmlType.Q2_K => (256, 84),
            GgmlType.Q3_K => (256, 110),
            GgmlType.Q4_K => (256, 144),
            GgmlType.Q5_K => (256, 176),
            GgmlType.Q6_K => (256, 210),
            GgmlType.Q8_K => (256, 292),
            GgmlType.IQ4_NL => (32, 18),
            GgmlType.IQ4_XS => (256, 136),
            GgmlType.MXFP4 => (32, 17),
            GgmlType.I8 => (1, 1),
            GgmlType.I16 => (1, 2),
            GgmlType.I32 => (1, 4),
            GgmlType.I64 => (1, 8),
            GgmlType.F64 => (1, 8),
            _ => (0, 0),
        };
        return blockElements != 0;
    }

    /// <summary>Bytes taken by one row of <paramref name="rowElements"/> elements.</summary>
    public static long RowBytes(GgmlType type, long rowElements)
    {
        if (!TryGetBlock(type, out int be, out int bb))
            throw new NotSupportedException($"tensor type {type} is not supported");
        if (rowElements % be != 0)
            throw new ArgumentException($"row of {rowElements} elements is not a multiple of the {type} block ({be})");
        return rowElements / be * bb;
    }
}
