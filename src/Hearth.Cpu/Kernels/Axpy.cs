namespace Hearth.Cpu.Kernels;

/// <summary>y[i] += a · x[i] (one rounding per element).</summary>
internal static unsafe class Axpy
{
    public static void Run(CpuIsa isa, float a, float* x, float* y, int n) => SimdLadder.Map<AxpyOperator>(isa, x, y, a, y, n);
}
