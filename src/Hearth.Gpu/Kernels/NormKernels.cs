using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>One group per row (or per head for per-head norms): RMS norm and softmax with group reductions.</summary>
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

    /// <summary>Softmax of row Grid.IdxX (rows of <paramref name="n"/>), in place.</summary>
    [GpuKernel]
    public static void Softmax(ArrayView<float> x, int n)
    {
        long start = (long)Grid.IdxX * n;
        float max = float.MinValue;
        for (int i = Group.IdxX; i < n; i += Group.DimX) max = Math.Max(max, x[start + i]);
        max = Reductions.GroupMax(max);
        float sum = 0;
        for (int i = Group.IdxX; i < n; i += Group.DimX)
        {
            float e = XMath.Exp(x[start + i] - max);
            x[start + i] = e;
            sum += e;
        }
        sum = Reductions.GroupSum(sum);
        float inv = 1.0f / sum;
        for (int i = Group.IdxX; i < n; i += Group.DimX) x[start + i] *= inv;
    }
}
