using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>Layer norm (BERT), one group per row: the mean, then the variance of the centred values (group sums, F32),
/// scale = 1/sqrt(var + eps), y = ((x − mean) · scale) · w + b (the bias optional). x and y may alias.</summary>
internal static class LayerNormKernel
{
    [GpuKernel]
    public static void LayerNorm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int hasBias, int n, float epsilon, ArrayView<float> y)
    {
        long start = (long)Grid.IdxX * n;
        float sum = 0;
        for (int i = Group.IdxX; i < n; i += Group.DimX) sum += x[start + i];
        float mean = Reductions.GroupSum(sum) / n;
        float sq = 0;
        for (int i = Group.IdxX; i < n; i += Group.DimX)
        {
            float d = x[start + i] - mean;
            sq += d * d;
        }
        float scale = 1.0f / XMath.Sqrt(Reductions.GroupSum(sq) / n + epsilon);
        for (int i = Group.IdxX; i < n; i += Group.DimX)
            y[start + i] = (x[start + i] - mean) * scale * w[i] + (hasBias != 0 ? bias[i] : 0f);
    }
}
