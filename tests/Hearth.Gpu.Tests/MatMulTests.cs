using Hearth.Core.Gguf;

namespace Hearth.Gpu.Tests;

/// <summary>MatMul for every weight format (MXFP4 read in place like Q8_0 and Q4_K) at 1 and 3 tokens (quantized: the GEMV kernel) and 9 tokens (quantized:
/// dequantized F16 tiles, then the dense GEMM), against the CPU backend. The CPU quantizes activations to 8 bits for
/// quantized weights, the GPU keeps them F32 (and rounds dequantized tiles to F16), hence the tolerances.</summary>
[Collection("gpu")]
public sealed class MatMulTests
{
    [Theory]
    [InlineData(GgmlType.F32, 1e-5)]
    [InlineData(GgmlType.F16, 1e-5)]
    [InlineData(GgmlType.BF16, 1e-5)]
    [InlineData(GgmlType.Q8_0, 2e-2)]
    [InlineData(GgmlType.Q4_K, 2e-2)]
    [InlineData(GgmlType.Q6_K, 2e-2)]
    [InlineData(GgmlType.MXFP4, 2e-2)]
    public void MatMulMatchesTheCpu(GgmlType type, double tolerance)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random((int)type);
        const int n = 40, k = 512;
        var w = twin.Weight(r, type, n, k, 0.1f);
        foreach (int rows in new[] { 1, 3, 9 })
        {
            var x = twin.Tensor(Twin.Floats(r, rows * k), rows, k);
            var y = twin.Zeros(rows, n);
            twin.Cpu.MatMul(x.Cpu, w.Cpu, y.Cpu, rows);
            twin.Gpu.MatMul(x.Gpu, w.Gpu, y.Gpu, rows);
            twin.AssertClose(y, rows, tolerance, $"{type} × {rows} rows");
        }
    }

    /// <summary>The quantized kernels against the exact product with the dequantized weights (Core's dequantizer, an F32
    /// weight on the CPU backend): the GEMV is exact up to summation order; the prefill path rounds activations and the
    /// dequantized tile to F16.</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0, 512)]
    [InlineData(GgmlType.Q4_K, 512)]
    [InlineData(GgmlType.Q6_K, 512)]
    [InlineData(GgmlType.MXFP4, 512)]
    [InlineData(GgmlType.Q8_0, 64)]   // short rows: the thread-per-output GEMV
    [InlineData(GgmlType.Q4_K, 256)]
    [InlineData(GgmlType.Q6_K, 256)]
    [InlineData(GgmlType.MXFP4, 96)]
    public void QuantizedKernelsEqualTheDequantizedProduct(GgmlType type, int k)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(30 + (int)type);
        const int n = 24;
        var w = twin.Weight(r, type, n, k, 0.1f);
        var f32 = twin.Dequantized(w.Cpu);
        foreach (var (rows, tolerance) in new[] { (1, 1e-5), (3, 1e-5), (9, 3e-3) })
        {
            var x = twin.Tensor(Twin.Floats(r, rows * k), rows, k);
            var y = twin.Zeros(rows, n);
            twin.Cpu.MatMul(x.Cpu, f32, y.Cpu, rows);
            twin.Gpu.MatMul(x.Gpu, w.Gpu, y.Gpu, rows);
            twin.AssertClose(y, rows, tolerance, $"{type} × {rows} rows");
        }
    }

    [Fact]
    public void ShapeMismatchIsRefused()
    {
        var twin = SharedTwins.Nvidia;
        var w = twin.Weight(new Random(5), GgmlType.F32, 8, 32);
        var x = twin.Zeros(2, 16);
        var y = twin.Zeros(2, 8);
        Assert.Throws<ArgumentException>(() => twin.Gpu.MatMul(x.Gpu, w.Gpu, y.Gpu, 2));
    }
}
