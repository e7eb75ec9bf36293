using System.Runtime.CompilerServices;

namespace Hearth.Cpu.Kernels;

/// <summary>GELU, tanh approximation, evaluated the way ggml's CPU backend does it (so BERT embeddings match
/// llama.cpp's): inputs at or below −10 give 0, at or above 10 give x, others are rounded to F16 and looked up in a
/// table of gelu(F16 value) rounded to F16. The table holds the 65,536 results as F32 (256 KB, built once).</summary>
internal static unsafe class GeluKernel
{
    private const float SqrtTwoOverPi = 0.79788456080286535587989211986876f;
    private const float CoefficientA = 0.044715f;

    private static readonly float[] Table = Build();

    private static float[] Build()
    {
        var table = new float[1 << 16];
        for (int i = 0; i < table.Length; i++)
        {
            float x = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            float g = 0.5f * x * (1.0f + MathF.Tanh(SqrtTwoOverPi * x * (1.0f + CoefficientA * x * x)));
            table[i] = (float)(Half)g;
        }
        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* x, float* y, long n)
    {
        fixed (float* table = Table)
            for (long i = 0; i < n; i++)
            {
                float v = x[i];
                y[i] = v <= -10f ? 0f : v >= 10f ? v : table[BitConverter.HalfToUInt16Bits((Half)v)];
            }
    }
}
