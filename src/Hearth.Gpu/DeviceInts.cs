using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>A growable device array with a host mirror: an upload whose contents equal the last one is skipped
/// (the model passes the same positions, slots and block tables to every layer of a step).</summary>
internal class DeviceValues<T>(GpuDevice device) : IDisposable where T : unmanaged, IEquatable<T>
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;
    private T[] _mirror = [];
    private int _length = -1;

    public ArrayView<T> Upload(ReadOnlySpan<T> values)
    {
        if (_buffer == null || _buffer.Length < values.Length)
        {
            _buffer?.Dispose();
            _buffer = device.Accelerator.Allocate1D<T>(Math.Max(16, values.Length * 2L));
            _mirror = new T[_buffer.Length];
            _length = -1;
        }
        if (_length != values.Length || !values.SequenceEqual(_mirror.AsSpan(0, values.Length)))
        {
            ArrayView<T> view = _buffer.View;
            if (values.Length > 0) view.SubView(0, values.Length).CopyFromCPU(values);
            values.CopyTo(_mirror);
            _length = values.Length;
        }
        ArrayView<T> all = _buffer.View;
        return all.SubView(0, Math.Max(1, values.Length));
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}

/// <summary>Device ints: token ids, positions, slots, block tables.</summary>
internal sealed class DeviceInts(GpuDevice device) : DeviceValues<int>(device);

/// <summary>Device floats: scatter-add factors, ALiBi slopes.</summary>
internal sealed class DeviceFloats(GpuDevice device) : DeviceValues<float>(device);
