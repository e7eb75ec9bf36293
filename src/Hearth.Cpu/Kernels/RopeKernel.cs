using System.Runtime.CompilerServices;
namespace Hearth.Cpu.Kernels;

/// <summary>Rotary embedding of all heads of one token, following ggml's rope_ext: θ starts at the position and is
/// multiplied by base^(-2/d) per pair (in F32, as ggml does), divided by the optional frequency factor and scaled
/// linearly; with YaRN (extFactor ≠ 0) the interpolated and extrapolated angles are blended by a ramp over the pair
/// index between the correction dims, and the magnitude grows by 1 + 0.1·ln(1/scale); cos and sin are multiplied by
/// the attention factor. Normal mode rotates adjacent pairs, NeoX mode rotates (i, i + d/2).</summary>
internal static unsafe class RopeKernel
{
    /// <param name="cache">Scratch of at least <paramref name="dims"/> floats (cos, sin interleaved per pair).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* x, int heads, int headDim, int position, int dims, float freqBase, float freqScale,
        bool neox, float* freqFactors, float* cache, in RopeExtension ext)
    {
        float thetaScale = MathF.Pow(freqBase, -2.0f / dims);
        float theta = position;
        for (int i = 0; i < dims / 2; i++)
        {
            float ff = freqFactors != null ? freqFactors[i] : 1.0f;
            float extrapolated = theta / ff;
            float t = freqScale * extrapolated;
            float mscale = ext.AttentionFactor;
            if (ext.ExtFactor != 0)
            {
                float y = (i - ext.CorrectionLow) / MathF.Max(0.001f, ext.CorrectionHigh - ext.CorrectionLow);
                float mix = (1 - MathF.Min(1, MathF.Max(0, y))) * ext.ExtFactor;
                t = t * (1 - mix) + extrapolated * mix;
                mscale *= 1.0f + 0.1f * MathF.Log(1.0f / freqScale);
            }
            cache[2 * i] = MathF.Cos(t) * mscale;
            cache[2 * i + 1] = MathF.Sin(t) * mscale;
            theta *= thetaScale;
        }
        int half = dims / 2;
        for (int h = 0; h < heads; h++)
        {
            float* v = x + h * headDim;
            for (int i = 0; i < half; i++)
            {
                float c = cache[2 * i], s = cache[2 * i + 1];
                int a = neox ? i : 2 * i;
                int b = neox ? i + half : 2 * i + 1;
                float x0 = v[a], x1 = v[b];
                v[a] = x0 * c - x1 * s;
                v[b] = x0 * s + x1 * c;
            }
        }
    }
}

/// <summary>The attention factor and YaRN blend of one rope call; correction dims as ggml_rope_yarn_corr_dims computes them.</summary>
internal readonly struct RopeExtension
{
    public RopeExtension(int dims, float freqBase, float attentionFactor, float extFactor, int originalContext, float betaFast, float betaSlow)
    {
        AttentionFactor = attentionFactor;
        ExtFactor = extFactor;
        if (extFactor == 0) return;
        float CorrDim(float rotations) =>
            dims * MathF.Log(originalContext / (rotations * 2 * MathF.PI)) / (2 * MathF.Log(freqBase));
        CorrectionLow = MathF.Max(0, MathF.Floor(CorrDim(betaFast)));
        CorrectionHigh = MathF.Min(dims - 1, MathF.Ceiling(CorrDim(betaSlow)));
    }

    public float AttentionFactor { get; }
    public float ExtFactor { get; }
    public float CorrectionLow { get; }
    public float CorrectionHigh { get; }
}
