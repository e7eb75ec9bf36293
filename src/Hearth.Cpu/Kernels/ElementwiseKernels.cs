using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Element-wise ops in F32: SwiGLU and GeGLU through <see cref="SimdLadder"/> (fused, one pass; faster than
/// the three TensorPrimitives calls they would take), and the plain ones — add, scale, softcapping c · tanh(x / c) —
/// through System.Numerics.Tensors' TensorPrimitives, which measured as fast or faster than our ladder for them
/// (bench/Hearth.Benchmarks TensorPrimitivesBenchmarks: add 0.6–1.0×, scale 0.7–1.0× the ladder's time; softcap
/// 0.15–0.25× the scalar loop, since TensorPrimitives vectorises tanh). Add and scale are exact, so which rung runs
/// them does not matter; tanh is within a few ulps of MathF.Tanh.</summary>
internal static unsafe class ElementwiseKernels
{
    /// <summary>Spans are int-sized; rows × columns of one tensor always fit, this only guards the cast.</summary>
    private static int Length(long n) => checked((int)n);

    public static void Add(float* a, float* b, float* y, long n) =>
        TensorPrimitives.Add(new ReadOnlySpan<float>(a, Length(n)), new ReadOnlySpan<float>(b, Length(n)), new Span<float>(y, Length(n)));

    public static void SwiGlu(CpuIsa isa, float* g, float* u, float* y, long n) => SimdLadder.Map<SwiGluOperator>(isa, g, u, 0f, y, n);

    /// <summary>gpt-oss's clamped SwiGLU, as ggml's CPU computes swiglu_oai: y = g' · σ(α·g') · (u' + 1) with
    /// g' = min(g, limit), u' = clamp(u, −limit, limit), on every rung of the ladder. Vectorised because at batched
    /// decode it covers every (token, expert) row: 64 rows × 2,880 per layer at 16 streams of gpt-oss-20b, which scalar
    /// (MathF.Exp per value, on one thread while the other waits) took ≈ 5% of the step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwiGluOai(CpuIsa isa, float* g, float* u, float* y, long n, float alpha, float limit) =>
        SimdLadder.Map<SwiGluOaiOperator>(isa, g, u, alpha, limit, y, n);

    public static void GeGlu(CpuIsa isa, float* g, float* u, float* y, long n) => SimdLadder.Map<GeGluOperator>(isa, g, u, 0f, y, n);

    public static void Scale(float* x, float factor, long n)
    {
        var span = new Span<float>(x, Length(n));
        TensorPrimitives.Multiply(span, factor, span);
    }

    public static void Softcap(float* x, float cap, long n)
    {
        var span = new Span<float>(x, Length(n));
        TensorPrimitives.Multiply(span, 1f / cap, span);
        TensorPrimitives.Tanh(span, span);
        TensorPrimitives.Multiply(span, cap, span);
    }
}
