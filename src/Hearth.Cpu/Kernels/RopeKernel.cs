using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
namespace Hearth.Cpu.Kernels;

/// <summary>Rotary embedding of all heads of one token, following ggml's rope_ext: θ starts at the position and is
/// multiplied by base^(-2/d) per pair (in F32, as ggml does), divided by the optional frequency factor and scaled
/// linearly; with YaRN (extFactor ≠ 0) the interpolated and extrapolated angles are blended by a ramp over the pair
/// index between the correction dims, and the magnitude grows by 1 + 0.1·ln(1/scale); cos and sin are multiplied by
/// the attention factor. Normal mode rotates adjacent pairs, NeoX mode rotates (i, i + d/2). The rotations run on the
/// ladder's widest rung with the scalar form's operations (bit for bit the same on every rung): scalar, they were ≈ 2%
/// of a 16-stream gpt-oss-20b decode step (64 heads per token).</summary>
internal static unsafe class RopeKernel
{
    /// <summary>Floats of scratch <see cref="Run"/> needs for <paramref name="dims"/> rotated dims.</summary>
    public static int CacheFloats(int dims) => 2 * dims;

    /// <param name="cache">Scratch of at least <see cref="CacheFloats"/> floats: the token's cos and sin, laid out for
    /// the rotation's vectors (NeoX: cos[i] then sin[i] per pair, each half contiguous; normal: each pair's cos twice,
    /// then −sin, sin).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(CpuIsa isa, float* x, int heads, int headDim, int position, int dims, float freqBase, float freqScale,
        bool neox, float* freqFactors, float* cache, in RopeExtension ext)
    {
        float thetaScale = MathF.Pow(freqBase, -2.0f / dims);
        float theta = position;
        int half = dims / 2;
        float* cos = cache, sin = cache + (neox ? half : dims);
        for (int i = 0; i < half; i++)
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
            float c = MathF.Cos(t) * mscale, s = MathF.Sin(t) * mscale;
            if (neox) { cos[i] = c; sin[i] = s; }
            else { cos[2 * i] = cos[2 * i + 1] = c; sin[2 * i] = -s; sin[2 * i + 1] = s; }
            theta *= thetaScale;
        }
        for (int h = 0; h < heads; h++)
        {
            float* v = x + h * headDim;
            if (neox) RotateHalves(isa, v, v + half, cos, sin, half);
            else RotatePairs(isa, v, cos, sin, dims);
        }
    }

    /// <summary>NeoX: (lo[i], hi[i]) ← (lo·c − hi·s, lo·s + hi·c); the vectors do the scalar form's operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RotateHalves(CpuIsa isa, float* lo, float* hi, float* cos, float* sin, int n)
    {
        int i = 0;
        if (isa.Use512)
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> a = Vector512.Load(lo + i), b = Vector512.Load(hi + i), c = Vector512.Load(cos + i), s = Vector512.Load(sin + i);
                (a * c - b * s).Store(lo + i);
                (a * s + b * c).Store(hi + i);
            }
        if (isa.Use256)
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> a = Vector256.Load(lo + i), b = Vector256.Load(hi + i), c = Vector256.Load(cos + i), s = Vector256.Load(sin + i);
                (a * c - b * s).Store(lo + i);
                (a * s + b * c).Store(hi + i);
            }
        for (; i < n; i++)
        {
            float x0 = lo[i], x1 = hi[i];
            lo[i] = x0 * cos[i] - x1 * sin[i];
            hi[i] = x0 * sin[i] + x1 * cos[i];
        }
    }

    /// <summary>Normal mode: adjacent pairs (x0, x1) ← (x0·c − x1·s, x0·s + x1·c), as x·[c, c] + swap(x)·[−s, s] (the
    /// same products; a + (−b) is a − b and sums commute, so the bits are the scalar form's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RotatePairs(CpuIsa isa, float* v, float* cos, float* sin, int dims)
    {
        int i = 0;
        if (isa.Use512)
        {
            var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            for (; i + 16 <= dims; i += 16)
            {
                var a = Vector512.Load(v + i);
                (a * Vector512.Load(cos + i) + Vector512.Shuffle(a, swap) * Vector512.Load(sin + i)).Store(v + i);
            }
        }
        if (isa.Use256)
        {
            var swap = Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);
            for (; i + 8 <= dims; i += 8)
            {
                var a = Vector256.Load(v + i);
                (a * Vector256.Load(cos + i) + Vector256.Shuffle(a, swap) * Vector256.Load(sin + i)).Store(v + i);
            }
        }
        for (; i < dims; i += 2)
        {
            float x0 = v[i], x1 = v[i + 1], c = cos[i], s = sin[i + 1];
            v[i] = x0 * c - x1 * s;
            v[i + 1] = x0 * s + x1 * c;
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
