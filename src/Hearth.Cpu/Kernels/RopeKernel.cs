using System.Runtime.CompilerServices;
namespace Hearth.Cpu.Kernels;

/// <summary>Rotary embedding of all heads of one token, following ggml's rope: θ starts at the position and is
/// multiplied by base^(-2/d) per pair (in F32, as ggml does), divided by the optional frequency factor and scaled
/// linearly; normal mode rotates adjacent pairs, NeoX mode rotates (i, i + d/2).</summary>
internal static unsafe class RopeKernel
{
    /// <param name="cache">Scratch of at least <paramref name="dims"/> floats (cos, sin interleaved per pair).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* x, int heads, int headDim, int position, int dims, float freqBase, float freqScale,
        bool neox, float* freqFactors, float* cache)
    {
        float thetaScale = MathF.Pow(freqBase, -2.0f / dims);
        float theta = position;
        for (int i = 0; i < dims / 2; i++)
        {
            float ff = freqFactors != null ? freqFactors[i] : 1.0f;
            float t = freqScale * (theta / ff);
            cache[2 * i] = MathF.Cos(t);
            cache[2 * i + 1] = MathF.Sin(t);
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
