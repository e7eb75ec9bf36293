using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>A growable device scratch buffer (attention partials, F16 tiles); contents are not kept when it grows.</summary>
internal sealed class DeviceScratch<T>(GpuDevice device) : IDisposable where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    public MemoryBuffer1D<T, Stride1D.Dense> Ensure(long length)
    {
        if (_buffer == null || _buffer.Length < length)
        {
            _buffer?.Dispose();
            _buffer = device.Accelerator.Allocate1D<T>(Math.Max(1, length));
        }
        return _buffer;
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}
