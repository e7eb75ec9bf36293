using Hearth.Core.Gguf;

namespace Hearth.Gpu.Tests;

/// <summary>The newer architectures' element-wise ops, layer norm and the scaled scatter-add against the CPU backend,
/// on widths that are not multiples of the warp or the group.</summary>
[Collection("gpu")]
public sealed class ActivationTests
{
    [Fact]
    public void GeluGeGluAndClampedSwiGluMatchTheCpu()
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(21);
        const int rows = 3, cols = 77;
        var a = twin.Tensor(Twin.Floats(r, rows * cols, 12), rows, cols); // past ±10 (GELU's pass-through) and the clamp
        var b = twin.Tensor(Twin.Floats(r, rows * cols, 12), rows, cols);
        var y = twin.Zeros(rows, cols);
        twin.Cpu.Gelu(a.Cpu, y.Cpu, rows); twin.Gpu.Gelu(a.Gpu, y.Gpu, rows);
        // Both round to F16 before and after: equal up to one F16 step where tanh differs in its last bit.
        twin.AssertClose(y, rows, 1e-3, "gelu");
        twin.Cpu.GeGlu(a.Cpu, b.Cpu, y.Cpu, rows); twin.Gpu.GeGlu(a.Gpu, b.Gpu, y.Gpu, rows);
        twin.AssertClose(y, rows, 1e-5, "geglu");
        twin.Cpu.SwiGluOai(a.Cpu, b.Cpu, y.Cpu, rows, 1.702f, 7f); twin.Gpu.SwiGluOai(a.Gpu, b.Gpu, y.Gpu, rows, 1.702f, 7f);
        twin.AssertClose(y, rows, 1e-5, "swiglu-oai");
        twin.Cpu.SwiGluOai(a.Cpu, b.Cpu, a.Cpu, rows, 1.702f, 7f); twin.Gpu.SwiGluOai(a.Gpu, b.Gpu, a.Gpu, rows, 1.702f, 7f);
        twin.AssertClose(a, rows, 1e-5, "swiglu-oai in place");
    }

    [Fact]
    public void ScaleAndSoftcapMatchTheCpu()
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(22);
        const int rows = 2, cols = 200;
        var x = twin.Tensor(Twin.Floats(r, rows * cols, 40), rows, cols);
        twin.Cpu.Scale(x.Cpu, 0.125f, rows); twin.Gpu.Scale(x.Gpu, 0.125f, rows);
        twin.AssertClose(x, rows, 0, "scale");
        twin.Cpu.Softcap(x.Cpu, 3f, rows); twin.Gpu.Softcap(x.Gpu, 3f, rows);
        twin.AssertClose(x, rows, 1e-6, "softcap");
        Assert.Throws<ArgumentOutOfRangeException>(() => twin.Gpu.Softcap(x.Gpu, 0f, rows));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LayerNormMatchesTheCpu(bool withBias)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(23);
        const int rows = 5, cols = 200;
        var values = Twin.Floats(r, rows * cols, 3);
        for (int i = 0; i < values.Length; i++) values[i] += 2; // an offset mean, so centring matters
        var x = twin.Tensor(values, rows, cols);
        var y = twin.Zeros(rows, cols);
        var w = twin.Weight(r, GgmlType.F32, 1, cols);
        var b = withBias ? twin.Weight(r, GgmlType.F32, 1, cols) : default;
        twin.Cpu.LayerNorm(x.Cpu, w.Cpu, b.Cpu, 1e-12f, y.Cpu, rows); twin.Gpu.LayerNorm(x.Gpu, w.Gpu, b.Gpu, 1e-12f, y.Gpu, rows);
        twin.AssertClose(y, rows, 2e-5);
        twin.Cpu.LayerNorm(x.Cpu, w.Cpu, b.Cpu, 1e-5f, x.Cpu, rows); twin.Gpu.LayerNorm(x.Gpu, w.Gpu, b.Gpu, 1e-5f, x.Gpu, rows);
        twin.AssertClose(x, rows, 2e-5, "in place");
    }

    [Fact]
    public void AddScaledRowsAccumulatesInOrderIncludingRepeatedRows()
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(24);
        const int cols = 45;
        var source = twin.Tensor(Twin.Floats(r, 4 * cols), 4, cols);
        var destination = twin.Tensor(Twin.Floats(r, 6 * cols), 6, cols);
        int[] rows = [5, 0, 5, 2]; // row 5 twice: the adds must not race
        float[] factors = [0.25f, -1f, 0.75f, 2f];
        twin.Cpu.AddScaledRows(source.Cpu, rows, factors, destination.Cpu);
        twin.Gpu.AddScaledRows(source.Gpu, rows, factors, destination.Gpu);
        twin.AssertClose(destination, 6, 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => twin.Gpu.AddScaledRows(source.Gpu, [6], [1f], destination.Gpu));
        Assert.Throws<ArgumentException>(() => twin.Gpu.AddScaledRows(source.Gpu, [0, 1], [1f], destination.Gpu));
    }
}
