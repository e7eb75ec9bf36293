namespace Hearth.Cpu.Kernels;

/// <summary>Element-wise ops in F32 through <see cref="SimdLadder"/>: y = a + b, SwiGLU, GeGLU (see their operators),
/// a scale, and softcapping c · tanh(x / c).</summary>
internal static unsafe class ElementwiseKernels
{
    public static void Add(CpuIsa isa, float* a, float* b, float* y, long n) => SimdLadder.Map<AddOperator>(isa, a, b, 0f, y, n);

    public static void SwiGlu(CpuIsa isa, float* g, float* u, float* y, long n) => SimdLadder.Map<SwiGluOperator>(isa, g, u, 0f, y, n);

    public static void GeGlu(CpuIsa isa, float* g, float* u, float* y, long n) => SimdLadder.Map<GeGluOperator>(isa, g, u, 0f, y, n);

    public static void Scale(CpuIsa isa, float* x, float factor, long n) => SimdLadder.Map<ScaleOperator>(isa, x, x, factor, x, n);

    public static void Softcap(float* x, float cap, long n)
    {
        float inv = 1f / cap;
        for (long i = 0; i < n; i++) x[i] = MathF.Tanh(x[i] * inv) * cap;
    }
}
