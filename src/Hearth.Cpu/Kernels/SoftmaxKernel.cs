namespace Hearth.Cpu.Kernels;

/// <summary>In-place softmax of one row: subtract the max, exponentiate in F32, sum in F64, scale by 1/sum (as ggml).</summary>
internal static unsafe class SoftmaxKernel
{
    public static void Run(float* x, int n)
    {
        if (n == 0) return;
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++) max = MathF.Max(max, x[i]);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < n; i++) x[i] *= inv;
    }
}
