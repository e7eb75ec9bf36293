namespace Hearth.Cpu.Kernels;

/// <summary>RMS norm of one group, as ggml computes it: squares in F32 summed in F64, scale = 1/sqrt(mean + eps)
/// in F32, y = (x · scale) · w.</summary>
internal static unsafe class RmsNormKernel
{
    public static void Run(CpuIsa isa, float* x, float* w, int n, float eps, float* y)
    {
        double sum = LayerNormKernel.SquaredDeviationSum(isa, x, n, 0f);
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        SimdLadder.Map<MulOperator>(isa, x, w, scale, y, n);
    }
}
