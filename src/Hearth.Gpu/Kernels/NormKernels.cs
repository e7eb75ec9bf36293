using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>One group per row (or per head for per-head norms): RMS norm with group reductions.</summary>
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
}
