namespace Hearth.Cpu.Kernels;

/// <summary>Σ a[i]·b[i] over F32 vectors.</summary>
internal static unsafe class DotF32
{
    public static float Dot(CpuIsa isa, float* a, float* b, int n) => SimdLadder.Aggregate<DotOperator>(isa, a, b, n);
}
