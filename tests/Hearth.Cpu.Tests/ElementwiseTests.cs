using Hearth.Core.Tensors;
using Hearth.Cpu;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Tests;

/// <summary>Add, SwiGLU, RMSNorm and softmax over every length 0..70 on every SIMD rung, against scalar formulas.</summary>
public sealed class ElementwiseTests
{
    public static IEnumerable<object[]> Paths() => SimdPaths.All();

    [Theory]
    [MemberData(nameof(Paths))]
    public void AddAndSwiGluMatchScalar(int bits, bool vnni)
    {
        using var b = new CpuBackend(1, SimdPaths.Isa(bits, vnni));
        var r = new Random(7);
        for (int n = 0; n <= 70; n++)
        {
            var x = TestData.Floats(r, 2 * n, 4f); var y = TestData.Floats(r, 2 * n, 4f);
            using var xt = TestData.Tensor(x, 2, n); using var yt = TestData.Tensor(y, 2, n); using var o = new CpuTensor(2, n);
            b.Add(xt, yt, o, 2);
            var sum = TestData.Read(o, 2);
            b.SwiGlu(xt, yt, o, 2);
            var glu = TestData.Read(o, 2);
            for (int i = 0; i < 2 * n; i++)
            {
                Assert.Equal(x[i] + y[i], sum[i]);
                float expected = x[i] / (1f + MathF.Exp(-x[i])) * y[i];
                Assert.True(MathF.Abs(glu[i] - expected) <= 1e-6f * (1 + MathF.Abs(expected)), $"n={n} i={i}: {glu[i]} vs {expected}");
            }
        }
    }

    /// <summary>gpt-oss's clamped SwiGLU on every rung and every length 0..70 (whole vectors and tails), values beyond
    /// the clamp on both sides included, against the formula in double precision.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void SwiGluOaiMatchesTheFormulaOnEveryRung(int bits, bool vnni)
    {
        using var b = new CpuBackend(1, SimdPaths.Isa(bits, vnni));
        var r = new Random(11);
        for (int n = 0; n <= 70; n++)
        {
            var gate = TestData.Floats(r, 2 * n, 12f); var up = TestData.Floats(r, 2 * n, 12f);
            using var g = TestData.Tensor(gate, 2, n); using var u = TestData.Tensor(up, 2, n); using var o = new CpuTensor(2, n);
            b.SwiGluOai(g, u, o, 2, 1.702f, 7f);
            var y = TestData.Read(o, 2);
            for (int i = 0; i < 2 * n; i++)
            {
                double x = Math.Min(gate[i], 7), v = Math.Clamp(up[i], -7, 7);
                double expected = x / (1 + Math.Exp(-1.702 * x)) * (v + 1);
                Assert.True(Math.Abs(y[i] - expected) <= 2e-6 * (1 + Math.Abs(expected)), $"n={n} i={i}: {y[i]} vs {expected}");
            }
        }
    }

    /// <summary>gpt-oss's clamped SwiGLU at hand-computed points: the gate is capped above only (min(g, 7)), the up
    /// value clamped both ways and shifted by one; alpha sharpens the sigmoid.</summary>
    [Fact]
    public void SwiGluOaiClampsGateAboveAndUpBothWays()
    {
        using var b = new CpuBackend(1);
        float[] gate = [-10f, -1f, 0f, 1f, 6.5f, 7f, 20f, 2f];
        float[] up = [-20f, -7.5f, 3f, 0f, 8f, 7f, 10f, -1f];
        using var g = TestData.Tensor(gate, 1, gate.Length); using var u = TestData.Tensor(up, 1, up.Length); using var o = new CpuTensor(1, gate.Length);
        b.SwiGluOai(g, u, o, 1, 1.702f, 7f);
        var y = TestData.Read(o, 1);
        static double Glu(double x, double alpha) => x / (1 + Math.Exp(-alpha * x));
        // gate, up as the kernel must see them after clamping: g = min(gate, 7), u = clamp(up, −7, 7).
        double[] expected =
        [
            Glu(-10, 1.702) * (-7 + 1), Glu(-1, 1.702) * (-7 + 1), 0, Glu(1, 1.702) * 1, Glu(6.5, 1.702) * 8,
            Glu(7, 1.702) * 8, Glu(7, 1.702) * 8 /* 20 → 7, 10 → 7 */, Glu(2, 1.702) * 0,
        ];
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"i={i}: {y[i]} vs {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void RmsNormMatchesScalar(int bits, bool vnni)
    {
        using var b = new CpuBackend(1, SimdPaths.Isa(bits, vnni));
        var r = new Random(8);
        for (int n = 1; n <= 70; n++)
        {
            var x = TestData.Floats(r, 3 * n, 2f);
            var w = TestData.Floats(r, n);
            fixed (float* wp = w)
            {
                var weight = new Weight("norm", Hearth.Core.Gguf.GgmlType.F32, 1, n, (byte*)wp);
                using var xt = TestData.Tensor(x, 3, n); using var o = new CpuTensor(3, n);
                b.RmsNorm(xt, weight, 1e-5f, o, 3);
                var y = TestData.Read(o, 3);
                for (int row = 0; row < 3; row++)
                {
                    double ss = 0;
                    for (int i = 0; i < n; i++) ss += (double)x[row * n + i] * x[row * n + i];
                    double scale = 1 / Math.Sqrt(ss / n + 1e-5);
                    for (int i = 0; i < n; i++)
                    {
                        double expected = x[row * n + i] * scale * w[i];
                        Assert.True(Math.Abs(y[row * n + i] - expected) <= 2e-6 * (1 + Math.Abs(expected)), $"n={n}: {y[row * n + i]} vs {expected}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void SoftmaxMatchesScalar(int bits, bool vnni)
    {
        // Softmax runs inside paged attention; its kernel is tested on its own here.
        var r = new Random(9);
        for (int n = 1; n <= 70; n++)
        {
            var x = TestData.Floats(r, n, 10f);
            var y = x.ToArray();
            fixed (float* p = y) SoftmaxKernel.Run(SimdPaths.Isa(bits, vnni), p, n);
            double max = x.Max(), sum = x.Sum(v => Math.Exp(v - max));
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(y[i] - Math.Exp(x[i] - max) / sum) <= 1e-6, $"n={n} i={i}");
            Assert.Equal(1.0, y.Sum(v => (double)v), 5);
        }
    }
}
