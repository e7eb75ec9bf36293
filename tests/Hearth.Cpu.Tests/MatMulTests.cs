using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>Matmul for every weight type, on every SIMD rung, against an oracle built from Core's exact
/// dequantizer: weights dequantized, activations converted to the weight's vec-dot type (Q8_0 / Q8_K / F16 / BF16
/// via Core's quantizer), products summed in double.</summary>
[Collection("simd")]
public sealed class MatMulTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var path in SimdPaths.All())
            foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K })
                yield return [path[0], path[1], type];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void MatchesDequantizedOracle(int bits, bool vnni, GgmlType type)
    {
        using var _ = SimdPaths.Force(bits, vnni);
        var r = new Random(1234 + (int)type);
        int block = type is GgmlType.Q4_K or GgmlType.Q6_K ? 256 : type is GgmlType.Q8_0 or GgmlType.Q4_0 ? 32 : 1;
        using var backend = new CpuBackend(2);
        int[] ks = block == 1 ? [1, 7, 16, 33, 64, 100] : block == 32 ? [32, 64, 96, 288] : [256, 512];
        foreach (int k in ks)
            foreach (int t in new[] { 1, 3, 4, 5, 9 })
            {
                const int n = 13;
                var (w, storage) = TestData.MakeWeight(r, type, n, k);
                var x = TestData.Floats(r, t * k, 3f);
                using var xt = TestData.Tensor(x, t, k);
                using var yt = new CpuTensor(t, n);
                backend.MatMul(xt, w, yt, t);
                var y = TestData.Read(yt, t);

                var wf = new float[n * k];
                Dequantizer.Dequantize(type, storage.AsSpan(0, (int)GgmlTypeInfo.RowBytes(type, k) * n), wf);
                for (int ti = 0; ti < t; ti++)
                {
                    var xr = VecDotView(type, x.AsSpan(ti * k, k));
                    for (int ni = 0; ni < n; ni++)
                    {
                        double expected = 0, magnitude = 0;
                        for (int i = 0; i < k; i++)
                        {
                            expected += (double)wf[ni * k + i] * xr[i];
                            magnitude += Math.Abs((double)wf[ni * k + i] * xr[i]);
                        }
                        double err = Math.Abs(y[ti * n + ni] - expected);
                        Assert.True(err <= 2e-5 * magnitude + 1e-6,
                            $"{type} bits={bits} k={k} t={ti}/{t} n={ni}: got {y[ti * n + ni]}, expected {expected} (|Σ| {magnitude})");
                    }
                }
                GC.KeepAlive(storage);
            }
    }

    /// <summary>The activation row as llama.cpp's matmul sees it for this weight type.</summary>
    private static float[] VecDotView(GgmlType weightType, ReadOnlySpan<float> x)
    {
        GgmlType vecDot = weightType switch
        {
            GgmlType.F16 => GgmlType.F16,
            GgmlType.BF16 => GgmlType.BF16,
            GgmlType.Q8_0 or GgmlType.Q4_0 => GgmlType.Q8_0,
            GgmlType.Q4_K or GgmlType.Q6_K => GgmlType.Q8_K,
            _ => GgmlType.F32,
        };
        var bytes = new byte[GgmlTypeInfo.RowBytes(vecDot, x.Length)];
        Quantizer.Quantize(vecDot, x, bytes);
        var back = new float[x.Length];
        Dequantizer.Dequantize(vecDot, bytes, back);
        return back;
    }
}
