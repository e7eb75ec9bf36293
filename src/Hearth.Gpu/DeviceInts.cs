using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>A growable device int array with a host mirror: an upload whose contents equal the last one is skipped
/// (the model passes the same positions, slots and block tables to every layer of a step).</summary>
internal sealed class DeviceInts(GpuDevice device) : IDisposable
{
    private MemoryBuffer1D<int, Stride1D.Dense>? _buffer;
    private int[] _mirror = [];
    private int _length = -1;

    public ArrayView<int> Upload(ReadOnlySpan<int> values)
    {
        if (_buffer == null || _buffer.Length < values.Length)
        {
            _buffer?.Dispose();
            _buffer = device.Accelerator.Allocate1D<int>(Math.Max(16, values.Length * 2L));
            _mirror = new int[_buffer.Length];
            _length = -1;
        }
        if (_length != values.Length || !values.SequenceEqual(_mirror.AsSpan(0, values.Length)))
        {
            ArrayView<int> view = _buffer.View;
            if (values.Length > 0) view.SubView(0, values.Length).CopyFromCPU(values);
            values.CopyTo(_mirror);
            _length = values.Length;
        }
        ArrayView<int> all = _buffer.View;
        return all.SubView(0, Math.Max(1, values.Length));
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}
