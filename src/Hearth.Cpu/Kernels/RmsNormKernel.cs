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
        double sum = 0;
        int i = 0;
        if (CpuFeatures.Use256)
        {
            var acc = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                var sq = v * v;
                acc += Vector256.WidenLower(sq) + Vector256.WidenUpper(sq);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += x[i] * x[i];
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        i = 0;
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
