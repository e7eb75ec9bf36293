using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>Random inputs and weights (quantized with Core's Quantizer) for kernel tests.</summary>
internal static unsafe class TestData
{
    public static float[] Floats(Random r, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>A weight of N×K in <paramref name="type"/>, in pinned memory that lives as long as the returned array.</summary>
    public static (Weight Weight, byte[] Storage) MakeWeight(Random r, GgmlType type, int n, int k)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, k);
        var storage = GC.AllocateArray<byte>((int)(rowBytes * n) + 64, pinned: true);
        var values = Floats(r, k);
        for (int row = 0; row < n; row++)
        {
            var dst = storage.AsSpan((int)(row * rowBytes), (int)rowBytes);
            if (type == GgmlType.Q5_0)
            {
                // Random blocks (an F16 scale, random fifth bits and nibbles): every value 0..31 occurs, as a file may hold.
                for (int b = 0; b < k / 32; b++)
                {
                    var blk = dst.Slice(b * 22, 22);
                    r.NextBytes(blk);
                    BitConverter.TryWriteBytes(blk, (Half)(0.01 + r.NextDouble() * 0.05));
                }
                continue;
            }
            for (int i = 0; i < k; i++) values[i] = (float)(r.NextDouble() * 2 - 1);
            Quantizer.Quantize(type, values, dst);
        }
        fixed (byte* p = storage)
            return (new Weight("w", type, n, k, p), storage);
    }

    public static CpuTensor Tensor(float[] data, int rows, int cols)
    {
        var t = new CpuTensor(rows, cols);
        data.AsSpan(0, rows * cols).CopyTo(new Span<float>(t.Data, rows * cols));
        return t;
    }

    public static float[] Read(CpuTensor t, int rows) => new Span<float>(t.Data, rows * t.Columns).ToArray();
}
