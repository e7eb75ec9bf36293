using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>Element-wise ops: y = a + b, and SwiGLU y = silu(g) · u with silu(x) = x / (1 + e^-x) in F32.</summary>
internal static unsafe class ElementwiseKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* a, float* b, float* y, long n)
    {
        long i = 0;
        if (CpuFeatures.Use512)
            for (; i + 16 <= n; i += 16) (Vector512.Load(a + i) + Vector512.Load(b + i)).Store(y + i);
        if (CpuFeatures.Use256)
            for (; i + 8 <= n; i += 8) (Vector256.Load(a + i) + Vector256.Load(b + i)).Store(y + i);
        if (CpuFeatures.Use128)
            for (; i + 4 <= n; i += 4) (Vector128.Load(a + i) + Vector128.Load(b + i)).Store(y + i);
        for (; i < n; i++) y[i] = a[i] + b[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwiGlu(float* g, float* u, float* y, long n)
    {
        long i = 0;
        if (CpuFeatures.Use512)
            for (; i + 16 <= n; i += 16)
            {
                var x = Vector512.Load(g + i);
                (x / (Vector512<float>.One + Vector512.Exp(-x)) * Vector512.Load(u + i)).Store(y + i);
            }
        if (CpuFeatures.Use256)
            for (; i + 8 <= n; i += 8)
            {
                var x = Vector256.Load(g + i);
                (x / (Vector256<float>.One + Vector256.Exp(-x)) * Vector256.Load(u + i)).Store(y + i);
            }
        for (; i < n; i++)
        {
            float x = g[i];
            y[i] = x / (1.0f + MathF.Exp(-x)) * u[i];
        }
    }
}
