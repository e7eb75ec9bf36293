using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;

namespace Hearth.Gpu;

/// <summary>Row slices of weights (Phi-3's fused QKV and gate-up, one expert of a 3-D expert tensor) and the scaled
/// scatter-add that brings MoE expert outputs (and LoRA updates) back to their tokens' rows.</summary>
public sealed partial class GpuBackend
{
    /// <summary>Rows [firstRow, +rowCount) of the tensor as their own device weight (only those rows are copied).</summary>
    public unsafe Weight LoadWeightRows(GgufFile file, GgufTensorInfo tensor, long firstRow, int rowCount)
    {
        if (!Dequantizer.Supports(tensor.Type))
            throw new NotSupportedException($"{file.Path}: tensor '{tensor.Name}' has type {tensor.Type}, which the GPU backend does not support");
        if (firstRow < 0 || rowCount < 1 || firstRow + rowCount > tensor.RowCount || tensor.RowLength > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"{file.Path}: rows [{firstRow}, +{rowCount}) are outside tensor '{tensor.Name}' of {tensor.RowCount} rows");
        long rowBytes = GgmlTypeInfo.RowBytes(tensor.Type, (int)tensor.RowLength);
        var slice = new Weight($"{tensor.Name}[{firstRow}..{firstRow + rowCount})", tensor.Type, rowCount, (int)tensor.RowLength,
            file.GetTensorPointer(tensor) + firstRow * rowBytes);
        return AdoptWeight(slice);
    }

    public void AddScaledRows(Tensor source, ReadOnlySpan<int> rowIndices, ReadOnlySpan<float> factors, Tensor destination)
    {
        var s = G(source); var d = G(destination);
        if (s.Columns != d.Columns || factors.Length < rowIndices.Length) throw new ArgumentException("add-scaled-rows shape mismatch");
        CheckRows(s, rowIndices.Length);
        foreach (int r in rowIndices) CheckRows(d, r + 1);
        if (rowIndices.Length == 0 || s.Columns == 0) return;
        Bind();
        _k.AddScaledRows(_k.Stream, _k.Elements(s.Columns), s.View, _rows.Upload(rowIndices), _factors.Upload(factors[..rowIndices.Length]),
            d.View, s.Columns, rowIndices.Length);
    }
}
