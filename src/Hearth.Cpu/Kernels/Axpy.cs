using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>y[i] += a · x[i].</summary>
internal static unsafe class Axpy
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float a, float* x, float* y, int n)
    {
        int i = 0;
        if (CpuFeatures.Use512)
        {
            var va = Vector512.Create(a);
            for (; i + 16 <= n; i += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        }
        if (CpuFeatures.Use256)
        {
            var va = Vector256.Create(a);
            for (; i + 8 <= n; i += 8)
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
        }
        if (CpuFeatures.Use128)
        {
            var va = Vector128.Create(a);
            for (; i + 4 <= n; i += 4)
                Vector128.FusedMultiplyAdd(va, Vector128.Load(x + i), Vector128.Load(y + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }
}
