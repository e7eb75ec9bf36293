using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>The activations and in-place scalings the newer architectures use, as grid-stride loops, each computing
/// what the CPU backend computes (same formulas, same order of operations): GELU (BERT), GeGLU and scaling (Gemma),
/// softcapping (Gemma 2), gpt-oss's clamped SwiGLU.</summary>
internal static class ActivationKernels
{
    private const float SqrtTwoOverPi = 0.79788456080286535587989211986876f;
    private const float GeluA = 0.044715f;

    /// <summary>y = gelu(x), tanh approximation, as ggml's CPU evaluates it: ≤ −10 → 0, ≥ 10 → x, otherwise x rounded
    /// to F16, gelu of that, the result rounded to F16 (the CPU backend reads the same values from a table).</summary>
    [GpuKernel]
    public static void Gelu(ArrayView<float> x, ArrayView<float> y, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            float v = x[i];
            if (v <= -10f) y[i] = 0f;
            else if (v >= 10f) y[i] = v;
            else
            {
                float h = Numbers.HalfToFloat(Numbers.FloatToHalf(v));
                float g = 0.5f * h * (1.0f + XMath.Tanh(SqrtTwoOverPi * h * (1.0f + GeluA * h * h)));
                y[i] = Numbers.HalfToFloat(Numbers.FloatToHalf(g));
            }
        }
    }

    /// <summary>y = gelu(gate) · up with gelu(x) = x · sigmoid(2√(2/π) · x · (1 + 0.044715 x²)) (y may alias gate).</summary>
    [GpuKernel]
    public static void GeGlu(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            float x = gate[i];
            float z = 2f * SqrtTwoOverPi * x * (1f + GeluA * x * x);
            y[i] = x / (1f + XMath.Exp(-z)) * up[i];
        }
    }

    /// <summary>gpt-oss's swiglu_oai: g = min(gate, limit), u = clamp(up, −limit, limit), y = g · σ(alpha · g) · (u + 1).</summary>
    [GpuKernel]
    public static void SwiGluOai(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, float alpha, float limit, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            float x = XMath.Min(gate[i], limit);
            float v = XMath.Clamp(up[i], -limit, limit);
            y[i] = x / (1f + XMath.Exp(-alpha * x)) * (v + 1f);
        }
    }

    /// <summary>x *= factor.</summary>
    [GpuKernel]
    public static void Scale(ArrayView<float> x, float factor, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX) x[i] *= factor;
    }

    /// <summary>x = cap · tanh(x · (1 / cap)), in the CPU backend's order (multiply by the reciprocal, tanh, multiply).</summary>
    [GpuKernel]
    public static void Softcap(ArrayView<float> x, float inverseCap, float cap, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX) x[i] = XMath.Tanh(x[i] * inverseCap) * cap;
    }
}
