namespace Hearth.Core.Gguf;

/// <summary>A tensor's description in a GGUF file. <see cref="Dimensions"/> is in ggml order:
/// element 0 is the row length (fastest-varying), so a weight matrix of shape [out, in] has Dimensions = {in, out}.</summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Dimensions, long DataOffset, long ByteSize)
{
    /// <summary>Total number of elements.</summary>
    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => a * b);

    /// <summary>Row length (ne0).</summary>
    public long RowLength => Dimensions.Length == 0 ? 1 : Dimensions[0];

    /// <summary>Number of rows (product of every dimension but the first).</summary>
    public long RowCount => Dimensions.Length <= 1 ? 1 : Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b);
}
