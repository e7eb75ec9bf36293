using Hearth.Core.Gguf;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Tests;

/// <summary>The float-weight prompt kernels (<see cref="FloatPanelGemm"/>, <see cref="FloatPanelGemm256"/>) past one
/// token block (128 tokens on AVX2) and over several column blocks with a ragged tail, and the vectorised activation
/// rounding they read, against the scalar oracle on every rung.</summary>
public sealed class FloatPanelTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var path in SimdPaths.All())
            foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16 })
                yield return [path[0], path[1], type];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ManyTokensMatchTheOracle(int bits, bool vnni, GgmlType type)
    {
        var r = new Random(77 + (int)type);
        using var backend = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        const int k = 1100, t = 131, n = 29;
        var (plain, storage) = TestData.MakeWeight(r, type, n, k);
        var w = backend.AdoptWeight(plain);
        var x = TestData.Floats(r, t * k, 3f);
        using var xt = TestData.Tensor(x, t, k);
        using var yt = new CpuTensor(t, n);
        backend.MatMul(xt, w, yt, t);
        MatMulTests.AssertMatchesOracle(type, storage, n, k, t, x, TestData.Read(yt, t), xs => MatMulTests.VecDotView(type, xs), $"{type} bits={bits}");
        GC.KeepAlive(storage);
    }

    /// <summary>A token's result is bit for bit the same alone (decode) and in a batch (the prompt kernel), on every rung
    /// (AVX-512's F16/BF16 decode kernel sums in the panel kernel's order; widths with a 16-column step and a scalar
    /// tail, chunks with rows past the last four; the BF16 tile where the machine has one): the engine's
    /// batched-equals-alone tests rest on it.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void OneTokenAloneEqualsItInABatch(int bits, bool vnni, GgmlType type)
    {
        var r = new Random(91 + (int)type);
        using var backend = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        // (t, k): a decode-sized batch, and one whose activations exceed what the BF16 tile takes row group by row group
        // (it then goes column block by column block: the same sums in the same order).
        foreach (var (t, k) in new[] { (6, 7), (6, 600), (6, 2100), (70, 2100) })
        {
            const int n = 31;
            var (plain, storage) = TestData.MakeWeight(r, type, n, k);
            var w = backend.AdoptWeight(plain);
            var x = TestData.Floats(r, t * k, 3f);
            using var xt = TestData.Tensor(x, t, k);
            using var yt = new CpuTensor(t, n);
            backend.MatMul(xt, w, yt, t);
            var batched = TestData.Read(yt, t);
            for (int u = 0; u < t; u += t > 6 ? 23 : 1)
            {
                using var x1 = TestData.Tensor(x.AsSpan(u * k, k).ToArray(), 1, k);
                using var y1 = new CpuTensor(1, n);
                backend.MatMul(x1, w, y1, 1);
                Assert.Equal(batched.AsSpan(u * n, n).ToArray(), TestData.Read(y1, 1));
            }
            GC.KeepAlive(storage);
        }
    }

    /// <summary>Values around every edge of the vector path (F16 subnormals, the least normal, the largest finite and
    /// what overflows, ties, zeros, NaN) and random bit patterns round exactly as the scalar conversion does.</summary>
    [Theory]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public unsafe void ActivationRoundingEqualsTheScalarConversion(int bits)
    {
        var isa = SimdPaths.Isa(bits, true);
        var r = new Random(5);
        var values = new List<float> { 0f, -0f, 6.103515625e-05f, -6.103515625e-05f, 6.1e-05f, 3e-08f, 65504f, -65504f, 65519f, 65520f,
            70000f, float.NaN, float.PositiveInfinity, 1f + 1f / 2048, 1f + 3f / 2048, 1f + 1f / 256, 1f + 3f / 256, 1e-40f };
        for (int i = 0; i < 4000; i++)
            values.Add(i % 2 == 0 ? BitConverter.Int32BitsToSingle(r.Next()) * (r.Next(2) == 0 ? 1 : -1) : (float)(r.NextDouble() * 20 - 10));
        var x = values.ToArray();
        var y = new float[x.Length];
        fixed (float* px = x, py = y)
        {
            QuantizeActivations.RoundF16(isa, px, x.Length, py);
            for (int i = 0; i < x.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits((float)(Half)x[i]) || float.IsNaN(y[i]) && float.IsNaN(x[i]),
                    $"F16 rounding of {x[i]:R} (0x{BitConverter.SingleToInt32Bits(x[i]):X8}): got {y[i]:R}, expected {(float)(Half)x[i]:R}");
            QuantizeActivations.RoundBF16(isa, px, x.Length, py);
            for (int i = 0; i < x.Length; i++)
            {
                uint u = BitConverter.SingleToUInt32Bits(x[i]);
                uint e = (u & 0x7fffffff) > 0x7f800000 ? (u | 0x400000) & 0xffff0000 : (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000;
                Assert.Equal(e, BitConverter.SingleToUInt32Bits(y[i]));
            }
        }
    }
}
