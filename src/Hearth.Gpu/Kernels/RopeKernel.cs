using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>Rotary position embedding as the CPU backend (and ggml) computes it: θ starts at the position and is
/// multiplied by base^(-2/d) once per pair index (the same F32 products, so angles match bit for bit), divided by the
/// optional frequency factor and scaled linearly; with YaRN the interpolated and extrapolated angles are blended by a
/// ramp over the pair index between the correction dims (both computed on the host, as the CPU backend does), and cos
/// and sin are multiplied by the attention factor (times YaRN's magnitude term). Normal mode rotates adjacent pairs,
/// NeoX mode (i, i + d/2). One thread per (token, head, pair).</summary>
internal static class RopeKernel
{
    [GpuKernel]
    public static void Rope(ArrayView<float> x, ArrayView<int> positions, RopeShape s, ArrayView<float> freqFactors, long count)
    {
        int half = s.Dimensions / 2;
        for (long idx = Grid.GlobalIndex.X; idx < count; idx += (long)Grid.DimX * Group.DimX)
        {
            int i = (int)(idx % half);
            long head = idx / half;
            long t = head / s.Heads;
            float theta = positions[t];
            for (int p = 0; p < i; p++) theta *= s.ThetaScale;
            float ff = s.HasFactors != 0 ? freqFactors[i] : 1.0f;
            float extrapolated = theta / ff;
            float angle = s.FrequencyScale * extrapolated;
            if (s.ExtFactor != 0)
            {
                float y = (i - s.CorrectionLow) / XMath.Max(0.001f, s.CorrectionHigh - s.CorrectionLow);
                float mix = (1 - XMath.Min(1f, XMath.Max(0f, y))) * s.ExtFactor;
                angle = angle * (1 - mix) + extrapolated * mix;
            }
            float c = XMath.Cos(angle) * s.Magnitude, sn = XMath.Sin(angle) * s.Magnitude;
            long baseIndex = t * s.Columns + head % s.Heads * s.HeadDim;
            long a = baseIndex + (s.Neox != 0 ? i : 2 * i);
            long b = baseIndex + (s.Neox != 0 ? i + half : 2 * i + 1);
            float x0 = x[a], x1 = x[b];
            x[a] = x0 * c - x1 * sn;
            x[b] = x0 * sn + x1 * c;
        }
    }
}

/// <summary>Scalar arguments of <see cref="RopeKernel"/>.</summary>
internal struct RopeShape
{
    public int Columns, Heads, HeadDim, Dimensions, Neox, HasFactors;
    public float ThetaScale, FrequencyScale;
    /// <summary>YaRN's blend strength (0: plain rope) and correction dims.</summary>
    public float ExtFactor, CorrectionLow, CorrectionHigh;
    /// <summary>cos and sin multiplier: the attention factor, times 1 + 0.1·ln(1/scale) under YaRN.</summary>
    public float Magnitude;
}
