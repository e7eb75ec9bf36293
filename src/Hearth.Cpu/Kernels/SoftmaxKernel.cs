namespace Hearth.Cpu.Kernels;

/// <summary>In-place softmax of one row: subtract the max, exponentiate in F32, sum in F64, scale by 1/sum (as ggml).
/// Vectorised at every rung (Vector*.Exp is within an ulp or two of MathF.Exp, which the scalar tail uses).</summary>
internal static unsafe class SoftmaxKernel
{
    public static void Run(CpuIsa isa, float* x, int n)
    {
        if (n == 0) return;
        float max = SimdLadder.Aggregate<MaxOperator>(isa, x, x, n);
        double sum = SimdLadder.MapSum<ExpMinusOperator>(isa, x, max, n);
        SimdLadder.Map<ScaleOperator>(isa, x, x, (float)(1.0 / sum), x, n);
    }
}
