using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>In-place softmax of one row: subtract the max, exponentiate in F32, sum in F64, scale by 1/sum (as ggml).
/// With AVX-512 the exponentials are vectorised (Vector512.Exp, within an ulp or two of MathF.Exp).</summary>
internal static unsafe class SoftmaxKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* x, int n)
    {
        if (n == 0) return;
        int i = 0;
        float max = float.NegativeInfinity;
        if (CpuFeatures.Use512 && n >= 16)
        {
            var m = Vector512.Create(float.NegativeInfinity);
            for (; i + 16 <= n; i += 16) m = Vector512.Max(m, Vector512.Load(x + i));
            for (int j = 0; j < 16; j++) max = MathF.Max(max, m.GetElement(j));
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);

        double sum = 0;
        i = 0;
        if (CpuFeatures.Use512 && n >= 16)
        {
            var mv = Vector512.Create(max);
            var acc = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var e = Vector512.Exp(Vector512.Load(x + i) - mv);
                e.Store(x + i);
                var (lo, hi) = Vector512.Widen(e);
                acc += lo + hi;
            }
            sum = Vector512.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        i = 0;
        if (CpuFeatures.Use512)
            for (var iv = Vector512.Create(inv); i + 16 <= n; i += 16) (Vector512.Load(x + i) * iv).Store(x + i);
        for (; i < n; i++) x[i] *= inv;
    }
}
