using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>Element-wise ops: y = a + b, SwiGLU y = silu(g) · u with silu(x) = x / (1 + e^-x), GeGLU y = gelu(g) · u
/// with ggml's tanh approximation written as gelu(x) = x / (1 + e^(-2z)), z = √(2/π)·(x + 0.044715·x³), a scale,
/// and softcapping c · tanh(x / c), all in F32.</summary>
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
    private const float GeluA = 0.044715f;
    private const float GeluTwoC = 2f * 0.7978845608028654f; // 2·√(2/π)

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeGlu(float* g, float* u, float* y, long n)
    {
        long i = 0;
        if (CpuFeatures.Use512)
            for (; i + 16 <= n; i += 16)
            {
                var x = Vector512.Load(g + i);
                var z = Vector512.Create(GeluTwoC) * x * (Vector512<float>.One + Vector512.Create(GeluA) * x * x);
                (x / (Vector512<float>.One + Vector512.Exp(-z)) * Vector512.Load(u + i)).Store(y + i);
            }
        if (CpuFeatures.Use256)
            for (; i + 8 <= n; i += 8)
            {
                var x = Vector256.Load(g + i);
                var z = Vector256.Create(GeluTwoC) * x * (Vector256<float>.One + Vector256.Create(GeluA) * x * x);
                (x / (Vector256<float>.One + Vector256.Exp(-z)) * Vector256.Load(u + i)).Store(y + i);
            }
        for (; i < n; i++)
        {
            float x = g[i];
            float z = GeluTwoC * x * (1f + GeluA * x * x);
            y[i] = x / (1f + MathF.Exp(-z)) * u[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* x, float factor, long n)
    {
        long i = 0;
        if (CpuFeatures.Use512)
            for (var f = Vector512.Create(factor); i + 16 <= n; i += 16) (Vector512.Load(x + i) * f).Store(x + i);
        if (CpuFeatures.Use256)
            for (var f = Vector256.Create(factor); i + 8 <= n; i += 8) (Vector256.Load(x + i) * f).Store(x + i);
        for (; i < n; i++) x[i] *= factor;
    }

    public static void Softcap(float* x, float cap, long n)
    {
        float inv = 1f / cap;
        for (long i = 0; i < n; i++) x[i] = MathF.Tanh(x[i] * inv) * cap;
    }
}
