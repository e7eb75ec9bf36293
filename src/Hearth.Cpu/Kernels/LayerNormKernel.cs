using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>Layer norm of one row, as ggml's norm op computes it: the mean and the variance of the centred values
/// summed in F64, scale = 1/sqrt(var + eps) in F32, then y = ((x − mean) · scale) · w + b.</summary>
internal static unsafe class LayerNormKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(CpuIsa isa, float* x, float* w, float* b, int n, float eps, float* y)
    {
        double sum = 0;
        int i = 0;
        if (isa.Use256)
        {
            var acc = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                acc += Vector256.WidenLower(v) + Vector256.WidenUpper(v);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += x[i];
        float mean = (float)(sum / n);

        double sq = SquaredDeviationSum(isa, x, n, mean);
        float scale = 1.0f / MathF.Sqrt((float)(sq / n) + eps);

        i = 0;
        if (isa.Use512)
        {
            var m = Vector512.Create(mean);
            for (; i + 16 <= n; i += 16)
            {
                var v = (Vector512.Load(x + i) - m) * scale * Vector512.Load(w + i);
                (b == null ? v : v + Vector512.Load(b + i)).Store(y + i);
            }
        }
        if (isa.Use256)
        {
            var m = Vector256.Create(mean);
            for (; i + 8 <= n; i += 8)
            {
                var v = (Vector256.Load(x + i) - m) * scale * Vector256.Load(w + i);
                (b == null ? v : v + Vector256.Load(b + i)).Store(y + i);
            }
        }
        for (; i < n; i++) y[i] = (x[i] - mean) * scale * w[i] + (b == null ? 0f : b[i]);
    }

    /// <summary>Σ (x_i − center)², the squares in F32 summed in F64 (ggml's order); RMS norm uses center 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SquaredDeviationSum(CpuIsa isa, float* x, int n, float center)
    {
        double sum = 0;
        int i = 0;
        if (isa.Use256)
        {
            var acc = Vector256<double>.Zero;
            var c = Vector256.Create(center);
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i) - c;
                var s = v * v;
                acc += Vector256.WidenLower(s) + Vector256.WidenUpper(s);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) { float d = x[i] - center; sum += d * d; }
        return sum;
    }
}
