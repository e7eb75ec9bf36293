using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>Matmul for every weight type, on every SIMD rung, against an oracle built from Core's exact
/// dequantizer: weights dequantized, activations converted to the weight's vec-dot type (Q8_0 / Q8_K / F16 / BF16
/// via Core's quantizer), products summed in double.</summary>
public sealed class MatMulTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var path in SimdPaths.All())
            foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K })
                yield return [path[0], path[1], type];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void MatchesDequantizedOracle(int bits, bool vnni, GgmlType type)
    {
        var r = new Random(1234 + (int)type);
        int block = type is GgmlType.Q4_K or GgmlType.Q6_K ? 256 : type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 ? 32 : 1;
        using var backend = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        int[] ks = block == 1 ? [1, 7, 16, 33, 64, 100, 1100, 4100] : block == 32 ? [32, 64, 96, 288] : [256, 512];
        foreach (int k in ks)
            foreach (int t in new[] { 1, 3, 4, 5, 9 })
            foreach (int n in new[] { 13, 40 })
            foreach (bool adopt in new[] { false, true })
            {
                var (plain, storage) = TestData.MakeWeight(r, type, n, k);
                // The backend's own form (Q8_0 re-laid out for the VNNI kernel where the machine has it).
                var w = adopt ? backend.AdoptWeight(plain) : plain;
                var x = TestData.Floats(r, t * k, 3f);
                using var xt = TestData.Tensor(x, t, k);
                using var yt = new CpuTensor(t, n);
                backend.MatMul(xt, w, yt, t);
                var y = TestData.Read(yt, t);

                AssertMatchesOracle(type, storage, n, k, t, x, y, xs => VecDotView(type, xs), $"{type} ({w.GetType().Name}) bits={bits}");
                GC.KeepAlive(storage);
            }
    }

    /// <summary>y (t × n) equals Σ dequantized weight × <paramref name="view"/>(activation row), summed in double, within
    /// 2e-5 of Σ|w·x| (the kernels' F32 accumulation).</summary>
    internal static void AssertMatchesOracle(GgmlType type, byte[] storage, int n, int k, int t, float[] x, float[] y,
        Func<float[], float[]> view, string what)
    {
        var wf = new float[n * k];
        Dequantizer.Dequantize(type, storage.AsSpan(0, (int)GgmlTypeInfo.RowBytes(type, k) * n), wf);
        for (int ti = 0; ti < t; ti++)
        {
            var xr = view(x.AsSpan(ti * k, k).ToArray());
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
                    $"{what} k={k} t={ti}/{t} n={ni}/{n}: got {y[ti * n + ni]}, expected {expected} (|Σ| {magnitude})");
            }
        }
    }

    /// <summary>The activation row as llama.cpp's matmul sees it for this weight type.</summary>
    internal static float[] VecDotView(GgmlType weightType, ReadOnlySpan<float> x)
    {
        if (weightType is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0) return RuntimeQ8_0(x);
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

    /// <summary>Q8_0 as llama.cpp quantizes activations at run time (its SIMD quantize_row_q8_0: q = round-half-even of
    /// x · 127/amax), which differs in rare ties and last-bit cases from the reference quantizer llama-quantize uses
    /// for weights (q = roundf(x / d), half away from zero).</summary>
    internal static float[] RuntimeQ8_0(ReadOnlySpan<float> x)
    {
        var back = new float[x.Length];
        for (int b = 0; b < x.Length / 32; b++)
        {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = MathF.Max(amax, MathF.Abs(x[b * 32 + i]));
            float d = (float)(Half)(amax / 127f);
            float id = amax != 0 ? 127f / amax : 0f;
            for (int i = 0; i < 32; i++)
                back[b * 32 + i] = MathF.Round(x[b * 32 + i] * id, MidpointRounding.ToEven) * d;
        }
        return back;
    }
}
