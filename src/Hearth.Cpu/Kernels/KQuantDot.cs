using System.Runtime.CompilerServices;
namespace Hearth.Cpu.Kernels;

/// <summary>Q4_K and Q6_K weight rows against Q8_K activation rows, with llama.cpp's integer arithmetic:
/// per super-block, Σ_g scale_g · (q_g · x_g) in integers, then one float multiply by d·d8 (and the Q4_K min term
/// through the activation's 16-element sums). The weight row is unpacked once for all T activation rows.</summary>
internal static unsafe class KQuantDot
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_K(CpuIsa isa, byte* row, int k, NativeBuffer scratch, sbyte* xq, float* xd, int* xbs, int tokens, float* y, int yStride)
    {
        int nb = k / 256;
        sbyte* q = (sbyte*)scratch.Ensure(k + nb * 8L + nb * 64L);
        float* d = (float*)(q + k);
        float* dmin = d + nb;
        int* scales = (int*)(dmin + nb);
        int* mins = scales + nb * 8;
        QuantBlocks.Q4_K(row, nb, q, d, dmin, scales, mins);
        for (int t = 0; t < tokens; t++)
        {
            sbyte* x = xq + (long)t * k;
            float* dx = xd + (long)t * nb;
            int* bs = xbs + (long)t * (k / 16);
            float sum = 0;
            for (int b = 0; b < nb; b++)
            {
                int sumi = 0, summ = 0;
                for (int g = 0; g < 8; g++)
                {
                    sumi += scales[b * 8 + g] * DotI8.Dot32(isa, q + b * 256 + g * 32, x + b * 256 + g * 32);
                    summ += mins[b * 8 + g] * (bs[b * 16 + 2 * g] + bs[b * 16 + 2 * g + 1]);
                }
                sum += dx[b] * d[b] * sumi - dx[b] * dmin[b] * summ;
            }
            y[(long)t * yStride] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_K(CpuIsa isa, byte* row, int k, NativeBuffer scratch, sbyte* xq, float* xd, int tokens, float* y, int yStride)
    {
        int nb = k / 256;
        sbyte* q = (sbyte*)scratch.Ensure(k + nb * 4L + nb * 64L);
        float* d = (float*)(q + k);
        int* scales = (int*)(d + nb);
        QuantBlocks.Q6_K(row, nb, q, d, scales);
        for (int t = 0; t < tokens; t++)
        {
            sbyte* x = xq + (long)t * k;
            float* dx = xd + (long)t * nb;
            float sum = 0;
            for (int b = 0; b < nb; b++)
            {
                int sumi = 0;
                for (int g = 0; g < 16; g++)
                    sumi += scales[b * 16 + g] * DotI8.Dot16(isa, q + b * 256 + g * 16, x + b * 256 + g * 16);
                sum += dx[b] * d[b] * sumi;
            }
            y[(long)t * yStride] = sum;
        }
    }
}
