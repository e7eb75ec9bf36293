using Hearth.Core.Gguf;

namespace Hearth.Gpu.Tests;

/// <summary>Element-wise, norm, gather and copy kernels on an NVIDIA-like simulated device (32-wide warps)
/// against the CPU backend, with lengths that are not multiples of the warp or group.</summary>
[Collection("gpu")]
public sealed class ElementwiseTests
{
    [Fact]
    public void AddBiasAndSwiGluMatchTheCpu()
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(1);
        const int rows = 3, cols = 77;
        var a = twin.Tensor(Twin.Floats(r, rows * cols, 4), rows, cols);
        var b = twin.Tensor(Twin.Floats(r, rows * cols, 4), rows, cols);
        var y = twin.Zeros(rows, cols);
        twin.Cpu.Add(a.Cpu, b.Cpu, y.Cpu, rows); twin.Gpu.Add(a.Gpu, b.Gpu, y.Gpu, rows);
        twin.AssertClose(y, rows, 0, "add");

        var bias = twin.Weight(r, GgmlType.F32, 1, cols);
        twin.Cpu.AddBias(y.Cpu, bias.Cpu, rows); twin.Gpu.AddBias(y.Gpu, bias.Gpu, rows);
        twin.AssertClose(y, rows, 0, "bias");

        twin.Cpu.SwiGlu(a.Cpu, b.Cpu, a.Cpu, rows); twin.Gpu.SwiGlu(a.Gpu, b.Gpu, a.Gpu, rows);
        twin.AssertClose(a, rows, 1e-5, "swiglu");
    }

    [Theory]
    [InlineData(1, 200)] // one norm over a whole row
    [InlineData(3, 24)]  // per-head norm (Qwen3 Q/K norm): groups of 24 within rows of 72
    public void RmsNormMatchesTheCpu(int groupsPerRow, int n)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(2);
        const int rows = 5;
        int cols = groupsPerRow * n;
        var x = twin.Tensor(Twin.Floats(r, rows * cols, 3), rows, cols);
        var y = twin.Zeros(rows, cols);
        var w = twin.Weight(r, GgmlType.F32, 1, n);
        twin.Cpu.RmsNorm(x.Cpu, w.Cpu, 1e-5f, y.Cpu, rows); twin.Gpu.RmsNorm(x.Gpu, w.Gpu, 1e-5f, y.Gpu, rows);
        twin.AssertClose(y, rows, 1e-5);
        twin.Cpu.RmsNorm(x.Cpu, w.Cpu, 1e-6f, x.Cpu, rows); twin.Gpu.RmsNorm(x.Gpu, w.Gpu, 1e-6f, x.Gpu, rows);
        twin.AssertClose(x, rows, 1e-5, "in place");
    }

    /// <summary>The fused residual add + RMS norm equals the GPU's own Add then RmsNorm bit for bit, and the CPU's (the
    /// interface's default) within the norm's tolerance.</summary>
    [Fact]
    public void FusedAddRmsNormEqualsAddThenRmsNorm()
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(25);
        const int rows = 3, cols = 200;
        var xs = Twin.Floats(r, rows * cols, 3);
        var delta = twin.Tensor(Twin.Floats(r, rows * cols, 3), rows, cols);
        var w = twin.Weight(r, GgmlType.F32, 1, cols);
        var x = twin.Tensor(xs, rows, cols);
        var y = twin.Zeros(rows, cols);
        ((Hearth.Core.Tensors.IBackend)twin.Cpu).AddRmsNorm(x.Cpu, delta.Cpu, w.Cpu, 1e-5f, y.Cpu, rows);
        twin.Gpu.AddRmsNorm(x.Gpu, delta.Gpu, w.Gpu, 1e-5f, y.Gpu, rows);
        twin.AssertClose(x, rows, 0, "residual");
        twin.AssertClose(y, rows, 1e-5, "norm");

        var x2 = twin.Gpu.Allocate(rows, cols);
        var y2 = twin.Gpu.Allocate(rows, cols);
        twin.Gpu.Upload(xs, x2, 0);
        twin.Gpu.Add(x2, delta.Gpu, x2, rows);
        twin.Gpu.RmsNorm(x2, w.Gpu, 1e-5f, y2, rows);
        Assert.Equal(Twin.Read(twin.Gpu, y2, rows), Twin.Read(twin.Gpu, y.Gpu, rows));
        x2.Dispose(); y2.Dispose();
    }

    /// <summary>Device argmax per row equals the host sampler's: the lowest column among equal maxima, wherever the
    /// maxima fall relative to the threads' strides; all −∞ picks column 0.</summary>
    [Fact]
    public void ArgMaxTakesTheLowestColumnAmongEqualMaxima()
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(26);
        const int rows = 5, cols = 1000;
        var values = Twin.Floats(r, rows * cols);
        values[0 * cols + 999] = 5f;                                  // the last column
        values[1 * cols + 700] = 5f; values[1 * cols + 3] = 5f;       // a tie: 3 wins
        values[2 * cols + 129] = 5f; values[2 * cols + 1] = 5f;       // a tie within one thread's stride and across
        Array.Fill(values, float.NegativeInfinity, 3 * cols, cols);   // all −∞
        var x = twin.Gpu.Allocate(rows, cols);
        twin.Gpu.Upload(values, x, 0);
        var indices = new int[rows];
        twin.Gpu.ArgMax(x, rows, indices);
        var expected = Enumerable.Range(0, rows).Select(i =>
        {
            var row = values.AsSpan(i * cols, cols);
            int best = 0;
            for (int c = 1; c < cols; c++) if (row[c] > row[best]) best = c;
            return best;
        }).ToArray();
        Assert.Equal([999, 3, 1, 0], expected[..4]);
        Assert.Equal(expected, indices);
        x.Dispose();
    }

    [Fact]
    public void GatherAndCopyRowsMoveWholeRows()
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(3);
        var src = twin.Tensor(Twin.Floats(r, 6 * 10), 6, 10);
        var dst = twin.Zeros(3, 10);
        int[] rows = [5, 0, 5];
        twin.Cpu.GatherRows(src.Cpu, rows, dst.Cpu); twin.Gpu.GatherRows(src.Gpu, rows, dst.Gpu);
        twin.AssertClose(dst, 3, 0, "gather");
        twin.Cpu.CopyRows(src.Cpu, 0, 3, 2); twin.Gpu.CopyRows(src.Gpu, 0, 3, 2);
        twin.AssertClose(src, 6, 0, "copy");
        Assert.Throws<ArgumentOutOfRangeException>(() => twin.Gpu.GatherRows(src.Gpu, [6], dst.Gpu));
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.MXFP4)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.Q5_K)] // dequantized to F32 at load
    public void EmbedDequantizesEveryTableType(GgmlType type)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(4);
        var table = twin.Weight(r, type, 9, 256);
        int[] ids = [8, 0, 3, 8];
        var y = twin.Zeros(4, 256);
        twin.Cpu.Embed(table.Cpu, ids, y.Cpu); twin.Gpu.Embed(table.Gpu, ids, y.Gpu);
        twin.AssertClose(y, 4, 0, type.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => twin.Gpu.Embed(table.Gpu, [9], y.Gpu));
    }
}
