using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>A weight with a device copy. F32/F16/BF16 and the Q8_0/Q4_K/Q6_K/MXFP4 blocks are copied byte for byte (quantized
/// ones are dequantized on the fly by the kernels); other GGUF types the CPU backend reads are dequantized once to F32
/// on the host. The host fields stay the file's (so the model sees the same weight).</summary>
public sealed unsafe class GpuWeight : Weight, IDisposable
{
    private MemoryBuffer1D<byte, Stride1D.Dense>? _buffer;

    private GpuWeight(Weight host, WeightFormat format, MemoryBuffer1D<byte, Stride1D.Dense> buffer)
        : base(host.Name, host.Type, host.Rows, host.Columns, host.Data)
    {
        Format = format;
        _buffer = buffer;
        DeviceRowBytes = WeightReader.RowBytes((int)format, host.Columns);
    }

    public WeightFormat Format { get; }

    public long DeviceRowBytes { get; }

    internal ArrayView<byte> Bytes => (_buffer ?? throw new ObjectDisposedException(Name)).View.AsContiguous();

    /// <summary>The device bytes as F32 (F32 weights only: norms, biases, rope factors).</summary>
    internal ArrayView<float> Floats => Format == WeightFormat.F32 ? Bytes.Cast<float>()
        : throw new ArgumentException($"weight '{Name}' must be F32 here, not {Format}");

    /// <summary>Native device address (cuBLAS operand).</summary>
    internal IntPtr DevicePointer => (_buffer ?? throw new ObjectDisposedException(Name)).NativePtr;

    internal static GpuWeight Upload(GpuDevice device, Weight host)
    {
        WeightFormat? direct = host.Type switch
        {
            GgmlType.F32 => WeightFormat.F32, GgmlType.F16 => WeightFormat.F16, GgmlType.BF16 => WeightFormat.BF16,
            GgmlType.Q8_0 => WeightFormat.Q8_0, GgmlType.Q4_K => WeightFormat.Q4_K, GgmlType.MXFP4 => WeightFormat.MXFP4,
            GgmlType.Q6_K => WeightFormat.Q6_K, _ => null,
        };
        var format = direct ?? WeightFormat.F32;
        long rowBytes = WeightReader.RowBytes((int)format, host.Columns);
        var buffer = device.Accelerator.Allocate1D<byte>(Math.Max(1, rowBytes * host.Rows));
        try
        {
            if (direct != null) CopyRaw(host, buffer, rowBytes);
            else DequantizeRows(host, buffer);
            return new GpuWeight(host, format, buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Copies the file's bytes in pieces of whole rows under 1 GiB (spans are int-sized).</summary>
    private static void CopyRaw(Weight host, MemoryBuffer1D<byte, Stride1D.Dense> buffer, long rowBytes)
    {
        int rowsPerCopy = (int)Math.Max(1, (1L << 30) / rowBytes);
        for (int r = 0; r < host.Rows; r += rowsPerCopy)
        {
            int n = Math.Min(rowsPerCopy, host.Rows - r);
            var source = new ReadOnlySpan<byte>(host.Row(r), checked((int)(n * rowBytes)));
            ArrayView<byte> view = buffer.View;
            view.SubView(r * rowBytes, n * rowBytes).CopyFromCPU(source);
        }
    }

    private static void DequantizeRows(Weight host, MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        var row = new float[host.Columns];
        ArrayView<byte> bytes = buffer.View;
        var floats = bytes.Cast<float>();
        for (int r = 0; r < host.Rows; r++)
        {
            Dequantizer.Dequantize(host.Type, new ReadOnlySpan<byte>(host.Row(r), checked((int)host.RowBytes)), row);
            floats.SubView((long)r * host.Columns, host.Columns).CopyFromCPU(row);
        }
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}
