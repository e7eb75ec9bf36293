using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>RMS norm of one group, as ggml computes it: squares in F32 summed in F64, scale = 1/sqrt(mean + eps)
/// in F32, y = (x · scale) · w.</summary>
internal static unsafe class RmsNormKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* x, float* w, int n, float eps, float* y)
    {
        double sum = LayerNormKernel.SquaredDeviationSum(x, n, 0f);
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        int i = 0;
        if (CpuFeatures.Use512)
            for (; i + 16 <= n; i += 16)
                (Vector512.Load(x + i) * scale * Vector512.Load(w + i)).Store(y + i);
        if (CpuFeatures.Use256)
            for (; i + 8 <= n; i += 8)
                (Vector256.Load(x + i) * scale * Vector256.Load(w + i)).Store(y + i);
        if (CpuFeatures.Use128)
            for (; i + 4 <= n; i += 4)
                (Vector128.Load(x + i) * scale * Vector128.Load(w + i)).Store(y + i);
        for (; i < n; i++) y[i] = x[i] * scale * w[i];
    }
}
