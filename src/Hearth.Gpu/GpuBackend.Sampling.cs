using Hearth.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>Greedy sampling on the device: the argmax of each logits row, so a greedy decode step copies back one int
/// per sequence instead of a vocabulary of floats.</summary>
public sealed partial class GpuBackend : IDeviceGreedy
{
    public void ArgMax(Tensor x, int rows, Span<int> indices)
    {
        var gx = G(x);
        CheckRows(gx, rows);
        if (indices.Length < rows) throw new ArgumentException($"{indices.Length} slots for the argmax of {rows} rows");
        if (rows == 0) return;
        if (gx.Columns == 0) throw new ArgumentException("argmax of an empty row");
        Bind();
        var result = _argMax.Ensure(rows);
        _k.ArgMax(_k.Stream, _k.PerGroup(rows), gx.View, gx.Columns, result.View);
        ArrayView<int> view = result.View;
        view.SubView(0, rows).CopyToCPU(_k.Stream, indices[..rows]);
        _k.Stream.Synchronize();
    }
}
