using System.Runtime.InteropServices;
using Hearth.Core.Tensors;

namespace Hearth.Cpu;

/// <summary>A CPU tensor: 64-byte-aligned native memory, zeroed at allocation.</summary>
public sealed unsafe class CpuTensor : Tensor
{
    // Large tensors (the KV cache: gigabytes) come from calloc, whose fresh pages the OS zeroes lazily on first touch;
    // clearing them eagerly faulted in every page at start-up (seconds of system time per engine on a small VM).
    private const long LazyZeroBytes = 1 << 20;
    private readonly bool _lazyZeroed;
    private void* _block;
    private float* _data;

    public CpuTensor(int rows, int columns) : base(rows, columns)
    {
        long bytes = Math.Max(1L, (long)rows * columns) * sizeof(float);
        _lazyZeroed = bytes >= LazyZeroBytes;
        if (_lazyZeroed)
        {
            _block = NativeMemory.AllocZeroed((nuint)(bytes + 64));
            _data = (float*)(((nuint)_block + 63) & ~(nuint)63);
        }
        else
        {
            _block = NativeMemory.AlignedAlloc((nuint)bytes, 64);
            NativeMemory.Clear(_block, (nuint)bytes);
            _data = (float*)_block;
        }
    }

    public float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(CpuTensor));

    public float* Row(int row) => Data + (long)row * Columns;

    public Span<float> RowSpan(int row) => new(Row(row), Columns);

    public override void Dispose()
    {
        if (_block == null) return;
        if (_lazyZeroed) NativeMemory.Free(_block);
        else NativeMemory.AlignedFree(_block);
        _block = null;
        _data = null;
    }
}
