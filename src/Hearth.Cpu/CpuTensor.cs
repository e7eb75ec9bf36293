using System.Runtime.InteropServices;
using Hearth.Core.Tensors;

namespace Hearth.Cpu;

/// <summary>A CPU tensor: 64-byte-aligned native memory, zeroed at allocation.</summary>
public sealed unsafe class CpuTensor : Tensor
{
    private float* _data;

    public CpuTensor(int rows, int columns) : base(rows, columns)
    {
        nuint bytes = (nuint)Math.Max(1L, (long)rows * columns) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_data, bytes);
    }

    public float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(CpuTensor));

    public float* Row(int row) => Data + (long)row * Columns;

    public Span<float> RowSpan(int row) => new(Row(row), Columns);

    public override void Dispose()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
        }
    }
}
