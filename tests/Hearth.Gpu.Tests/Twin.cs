using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Gpu.Tests;

/// <summary>The CPU backend (the oracle) and the GPU backend on ILGPU's CPU accelerator, side by side: every input is
/// made on both, every op runs on both, and outputs are compared.</summary>
internal sealed unsafe class Twin : IDisposable
{
    private readonly List<byte[]> _pinned = [];

    public Twin(int warpSize = 32, int warpsPerGroup = 4, int attentionSplitSize = 512)
    {
        Cpu = new CpuBackend(1);
        Gpu = new GpuBackend(GpuDevice.OpenSimulated(warpSize, warpsPerGroup), attentionSplitSize: attentionSplitSize);
    }

    public CpuBackend Cpu { get; }
    public GpuBackend Gpu { get; }

    public (Tensor Cpu, Tensor Gpu) Tensor(float[] data, int rows, int columns)
    {
        var c = Cpu.Allocate(rows, columns);
        var g = Gpu.Allocate(rows, columns);
        Cpu.Upload(data, c, 0);
        Gpu.Upload(data, g, 0);
        return (c, g);
    }

    public (Tensor Cpu, Tensor Gpu) Zeros(int rows, int columns) => (Cpu.Allocate(rows, columns), Gpu.Allocate(rows, columns));

    /// <summary>An N×K weight of <paramref name="type"/> from random values (quantized by Core's quantizers), in pinned
    /// host memory owned by this twin; returned as each backend adopts it.</summary>
    public (Weight Cpu, Weight Gpu) Weight(Random r, GgmlType type, int n, int k, float scale = 1f)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, k);
        var storage = GC.AllocateArray<byte>((int)(rowBytes * n) + 64, pinned: true);
        _pinned.Add(storage);
        var values = new float[k];
        for (int row = 0; row < n; row++)
        {
            for (int i = 0; i < k; i++) values[i] = (float)(r.NextDouble() * 2 - 1) * scale;
            Quantizer.Quantize(type, values, storage.AsSpan((int)(row * rowBytes), (int)rowBytes));
        }
        fixed (byte* p = storage)
        {
            var host = new Weight($"w{_pinned.Count}", type, n, k, p);
            return (Cpu.AdoptWeight(host), Gpu.AdoptWeight(host));
        }
    }

    /// <summary>An F32 copy of a host weight (Core's dequantizer), adopted by the CPU backend: the exact reference for
    /// the GPU's quantized kernels.</summary>
    public Weight Dequantized(Weight w)
    {
        var storage = GC.AllocateArray<byte>(w.Rows * w.Columns * 4 + 64, pinned: true);
        _pinned.Add(storage);
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(storage.AsSpan());
        for (int row = 0; row < w.Rows; row++)
            Dequantizer.Dequantize(w.Type, new ReadOnlySpan<byte>(w.Row(row), (int)w.RowBytes), floats.Slice(row * w.Columns, w.Columns));
        fixed (byte* p = storage) return Cpu.AdoptWeight(new Weight($"{w.Name}-f32", GgmlType.F32, w.Rows, w.Columns, p));
    }

    public static float[] Read(IBackend b, Tensor t, int rows)
    {
        var a = new float[rows * t.Columns];
        b.Download(t, 0, rows, a);
        return a;
    }

    /// <summary>Asserts the first rows agree within |a − b| ≤ tolerance · max(1, |a|).</summary>
    public void AssertClose((Tensor Cpu, Tensor Gpu) t, int rows, double tolerance, string what = "")
    {
        var expected = Read(Cpu, t.Cpu, rows);
        var actual = Read(Gpu, t.Gpu, rows);
        AssertClose(expected, actual, tolerance, what);
    }

    public static void AssertClose(float[] expected, float[] actual, double tolerance, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{what} element {i}: cpu {expected[i]} vs gpu {actual[i]}");
    }

    public static float[] Floats(Random r, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    public void Dispose()
    {
        Gpu.Dispose();
        Cpu.Dispose();
    }
}
