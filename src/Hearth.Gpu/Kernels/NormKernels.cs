using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>One group per row (or per head for per-head norms): RMS norm with group reductions, alone or fused with the
/// residual add before it.</summary>
internal static class NormKernels
{
    /// <summary>Group g normalizes elements [g·n, (g+1)·n): y = x / sqrt(mean(x²) + eps) · w (x and y may alias).</summary>
    [GpuKernel]
    public static void RmsNorm(ArrayView<float> x, ArrayView<float> w, int n, float epsilon, ArrayView<float> y)
    {
        long start = (long)Grid.IdxX * n;
        float sum = 0;
        for (int i = Group.IdxX; i < n; i += Group.DimX) sum += x[start + i] * x[start + i];
        sum = Reductions.GroupSum(sum);
        float scale = 1.0f / XMath.Sqrt(sum / n + epsilon);
        for (int i = Group.IdxX; i < n; i += Group.DimX) y[start + i] = x[start + i] * scale * w[i];
    }

    /// <summary>Residual add and RMS norm of row g in one pass: x = x + delta, y = x / sqrt(mean(x²) + eps) · w. The sum of
    /// squares is taken in <see cref="RmsNorm"/>'s order, so the result equals Add then RmsNorm bit for bit.</summary>
    [GpuKernel]
    public static void AddRmsNorm(ArrayView<float> x, ArrayView<float> delta, ArrayView<float> w, int n, float epsilon, ArrayView<float> y)
    {
        long start = (long)Grid.IdxX * n;
        float sum = 0;
        for (int i = Group.IdxX; i < n; i += Group.DimX)
        {
            float v = x[start + i] + delta[start + i];
            x[start + i] = v;
            sum += v * v;
        }
        sum = Reductions.GroupSum(sum);
        float scale = 1.0f / XMath.Sqrt(sum / n + epsilon);
        for (int i = Group.IdxX; i < n; i += Group.DimX) y[start + i] = x[start + i] * scale * w[i];
    }
}
