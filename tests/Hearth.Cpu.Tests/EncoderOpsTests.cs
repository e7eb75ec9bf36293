using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>The encoder ops: layer norm (with and without bias) over every length 1..70 on every SIMD rung against a
/// double-precision formula, and GELU against ggml's definition (tanh approximation on the F16-rounded input, the
/// result rounded to F16; identity above 10, zero below −10).</summary>
public sealed class EncoderOpsTests
{
    public static IEnumerable<object[]> Paths() => SimdPaths.All();

    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void LayerNormMatchesScalar(int bits, bool vnni)
    {
        using var b = new CpuBackend(1, SimdPaths.Isa(bits, vnni));
        var r = new Random(11);
        for (int n = 1; n <= 70; n++)
        {
            var x = TestData.Floats(r, 3 * n, 2f);
            for (int i = 0; i < x.Length; i++) x[i] += 0.5f; // a mean far from zero
            var w = TestData.Floats(r, n);
            var bias = TestData.Floats(r, n);
            fixed (float* wp = w, bp = bias)
            {
                var weight = new Weight("norm", GgmlType.F32, 1, n, (byte*)wp);
                var biasWeight = new Weight("bias", GgmlType.F32, 1, n, (byte*)bp);
                foreach (var withBias in new[] { false, true })
                {
                    using var xt = TestData.Tensor(x, 3, n); using var o = new CpuTensor(3, n);
                    b.LayerNorm(xt, weight, withBias ? biasWeight : null, 1e-12f, o, 3);
                    var y = TestData.Read(o, 3);
                    for (int row = 0; row < 3; row++)
                    {
                        var v = x.AsSpan(row * n, n).ToArray();
                        double mean = v.Average(f => (double)f), variance = v.Average(f => (f - mean) * (f - mean));
                        for (int i = 0; i < n; i++)
                        {
                            double expected = (v[i] - mean) / Math.Sqrt(variance + 1e-12) * w[i] + (withBias ? bias[i] : 0);
                            Assert.True(Math.Abs(y[row * n + i] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"n={n} bias={withBias}: {y[row * n + i]} vs {expected}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void GeluIsGgmlsF16TableFormula()
    {
        using var b = new CpuBackend(1);
        var x = new float[] { -12f, -10f, -3.3f, -1f, -0.001f, 0f, 0.25f, 1f, 2.5f, 9.99f, 10f, 12.5f, 0.1234567f };
        using var t = TestData.Tensor(x, 1, x.Length);
        using var o = new CpuTensor(1, x.Length);
        b.Gelu(t, o, 1);
        var y = TestData.Read(o, 1);
        for (int i = 0; i < x.Length; i++)
        {
            float expected;
            if (x[i] <= -10f) expected = 0f;
            else if (x[i] >= 10f) expected = x[i];
            else
            {
                float h = (float)(Half)x[i];
                expected = (float)(Half)(0.5f * h * (1f + MathF.Tanh(0.79788456080286535587989211986876f * h * (1f + 0.044715f * h * h))));
            }
            Assert.Equal(expected, y[i]);
        }
        // Close to the exact tanh formula (the F16 rounding is the only difference).
        Assert.Equal(0.841192f, y[7], 2e-3f);
    }

    /// <summary>The vectorised GELU rounds to F16 exactly as the Half cast does: every F16 value, its float
    /// neighbours, and the ties halfway between consecutive F16 values (and a float either side of each), subnormals
    /// and signed zeros included, on every rung.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void GeluRoundsToF16LikeTheHalfCastOnEveryRung(int bits, bool vnni)
    {
        using var b = new CpuBackend(1, SimdPaths.Isa(bits, vnni));
        var values = new List<float>();
        for (int i = 0; i < 0x7C00; i++) // every finite positive F16 and, through the sign, every negative one
        {
            float h = (float)BitConverter.UInt16BitsToHalf((ushort)i), next = (float)BitConverter.UInt16BitsToHalf((ushort)(i + 1));
            float mid = (h + next) / 2; // exact in float: the F16 tie
            foreach (float v in new[] { h, MathF.BitIncrement(h), MathF.BitDecrement(h), mid, MathF.BitIncrement(mid), MathF.BitDecrement(mid) })
            {
                values.Add(v);
                values.Add(-v);
            }
        }
        values.AddRange([float.PositiveInfinity, float.NegativeInfinity, 1e30f, -1e30f, 9.99f, 10f, -10f, -9.99f]);
        var x = values.ToArray();
        using var t = TestData.Tensor(x, 1, x.Length);
        using var o = new CpuTensor(1, x.Length);
        b.Gelu(t, o, 1);
        var y = TestData.Read(o, 1);
        for (int i = 0; i < x.Length; i++)
        {
            float expected;
            if (x[i] <= -10f) expected = 0f;
            else if (x[i] >= 10f) expected = x[i];
            else
            {
                float h = (float)(Half)x[i];
                expected = (float)(Half)(0.5f * h * (1f + MathF.Tanh(0.79788456080286535587989211986876f * h * (1f + 0.044715f * h * h))));
            }
            Assert.True(expected.Equals(y[i]) && float.IsNegative(expected) == float.IsNegative(y[i]) || expected == y[i],
                $"x = {x[i]:R} ({BitConverter.SingleToUInt32Bits(x[i]):X8}): {y[i]:R} vs {expected:R}");
        }
    }
}
