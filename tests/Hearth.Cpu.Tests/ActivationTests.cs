using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>GeGLU (tanh-approximated gelu, as ggml), scaling, softcapping and the weighted scatter-add of expert
/// outputs, on every SIMD rung and every length 0..40 (tails included), against double-precision formulas.</summary>
public sealed class ActivationTests
{
    public static IEnumerable<object[]> Paths() => SimdPaths.All();

    [Theory]
    [MemberData(nameof(Paths))]
    public void GeGluScaleAndSoftcapMatchFormulas(int bits, bool vnni)
    {
        using var b = new CpuBackend(1, SimdPaths.Isa(bits, vnni));
        var r = new Random(7);
        for (int n = 0; n <= 40; n++)
        {
            var g = TestData.Floats(r, n, 4f); var u = TestData.Floats(r, n);
            using var gt = TestData.Tensor(g, 1, n); using var ut = TestData.Tensor(u, 1, n);
            b.GeGlu(gt, ut, gt, 1);
            var y = TestData.Read(gt, 1);
            for (int i = 0; i < n; i++)
            {
                double x = g[i], gelu = 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
                Assert.True(Math.Abs(y[i] - gelu * u[i]) <= 1e-5 * Math.Max(1, Math.Abs(gelu * u[i])), $"geglu n={n} i={i}: {y[i]} vs {gelu * u[i]}");
            }

            using var st = TestData.Tensor(g, 1, n);
            b.Scale(st, 1.5f, 1);
            Assert.Equal(g.Select(v => v * 1.5f), TestData.Read(st, 1));

            using var ct = TestData.Tensor(g, 1, n);
            b.Softcap(ct, 2f, 1);
            var c = TestData.Read(ct, 1);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(c[i] - 2 * Math.Tanh(g[i] / 2)) <= 1e-6, $"softcap i={i}");
        }
    }

    [Fact]
    public void AddScaledRowsAccumulatesIntoTheNamedRows()
    {
        using var b = new CpuBackend(1);
        var r = new Random(9);
        const int cols = 37;
        var src = TestData.Floats(r, 3 * cols); var dst = TestData.Floats(r, 4 * cols);
        using var s = TestData.Tensor(src, 3, cols); using var d = TestData.Tensor(dst, 4, cols);
        b.AddScaledRows(s, [2, 0, 2], [0.5f, -1f, 2f], d);
        var y = TestData.Read(d, 4);
        for (int c = 0; c < cols; c++)
        {
            Assert.Equal(dst[c] - src[cols + c], y[c], 5);
            Assert.Equal(dst[cols + c], y[cols + c]);
            Assert.Equal(dst[2 * cols + c] + 0.5f * src[c] + 2f * src[2 * cols + c], y[2 * cols + c], 5);
            Assert.Equal(dst[3 * cols + c], y[3 * cols + c]);
        }
    }
}
