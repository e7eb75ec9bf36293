using Hearth.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>An F32 tensor in device memory, zeroed at allocation.</summary>
public sealed class GpuTensor : Tensor
{
    private MemoryBuffer1D<float, Stride1D.Dense>? _buffer;

    internal GpuTensor(GpuDevice device, int rows, int columns) : base(rows, columns)
    {
        _buffer = device.Accelerator.Allocate1D<float>(Math.Max(1L, (long)rows * columns));
        _buffer.MemSetToZero();
    }

    internal ArrayView<float> View => (_buffer ?? throw new ObjectDisposedException(nameof(GpuTensor))).View;

    /// <summary>Rows [first, first + count) as a view.</summary>
    internal ArrayView<float> RowRange(int first, int count) => View.SubView((long)first * Columns, (long)count * Columns);

    public override void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}
