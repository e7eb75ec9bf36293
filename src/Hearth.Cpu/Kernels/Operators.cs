using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>An element-wise operator y = f(x, u, s) at every rung of the width ladder (TensorPrimitives style): one
/// struct per op, run by <see cref="SimdLadder.Map{TOp}(CpuIsa, float*, float*, float, float*, long)"/>. <c>s</c> is a scalar broadcast to every lane (ignored by ops
/// that need none).</summary>
internal interface IMapOperator
{
    static abstract float Invoke(float x, float u, float s);
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s);
}

/// <summary>An elementwise y = f(x, u, s, t) with two scalar parameters at every rung; run by
/// <see cref="SimdLadder.Map{TOp}(CpuIsa, float*, float*, float, float, float*, long)"/>.</summary>
internal interface IMap2Operator
{
    static abstract float Invoke(float x, float u, float s, float t);
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s, Vector128<float> t);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s, Vector256<float> t);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s, Vector512<float> t);
}

/// <summary>A reduction acc = f(acc, a, b) over two inputs at every rung, with the combination of two accumulators
/// and the horizontal reduction of one; run by <see cref="SimdLadder.Aggregate{TOp}"/>.</summary>
internal interface IAggregateOperator
{
    static abstract float Identity { get; }
    static abstract float Accumulate(float acc, float a, float b);
    static abstract Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> a, Vector128<float> b);
    static abstract Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> a, Vector256<float> b);
    static abstract Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> a, Vector512<float> b);
    static abstract float Reduce(Vector128<float> acc0, Vector128<float> acc1);
    static abstract float Reduce(Vector256<float> acc0, Vector256<float> acc1);
    static abstract float Reduce(Vector512<float> acc0, Vector512<float> acc1);
}

/// <summary>x + u.</summary>
internal readonly struct AddOperator : IMapOperator
{
    public static float Invoke(float x, float u, float s) => x + u;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s) => x + u;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s) => x + u;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s) => x + u;
}

/// <summary>(x · s) · u: a scaled product (RMS norm's y = (x · 1/rms) · w; s = 1 for a plain product).</summary>
internal readonly struct MulOperator : IMapOperator
{
    public static float Invoke(float x, float u, float s) => x * s * u;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s) => x * s * u;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s) => x * s * u;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s) => x * s * u;
}

/// <summary>x · s.</summary>
internal readonly struct ScaleOperator : IMapOperator
{
    public static float Invoke(float x, float u, float s) => x * s;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s) => x * s;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s) => x * s;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s) => x * s;
}

/// <summary>s · x + u in one rounding (axpy: y += a · x with u = y).</summary>
internal readonly struct AxpyOperator : IMapOperator
{
    public static float Invoke(float x, float u, float s) => MathF.FusedMultiplyAdd(s, x, u);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s) => Vector128.FusedMultiplyAdd(s, x, u);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s) => Vector256.FusedMultiplyAdd(s, x, u);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s) => Vector512.FusedMultiplyAdd(s, x, u);
}

/// <summary>SwiGLU: silu(x) · u with silu(x) = x / (1 + e^-x).</summary>
internal readonly struct SwiGluOperator : IMapOperator
{
    public static float Invoke(float x, float u, float s) => x / (1.0f + MathF.Exp(-x)) * u;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s) => x / (Vector128<float>.One + Vector128.Exp(-x)) * u;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s) => x / (Vector256<float>.One + Vector256.Exp(-x)) * u;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s) => x / (Vector512<float>.One + Vector512.Exp(-x)) * u;
}

/// <summary>GeGLU: gelu(x) · u with ggml's tanh approximation written as gelu(x) = x / (1 + e^(-2z)),
/// z = √(2/π)·(x + 0.044715·x³).</summary>
internal readonly struct GeGluOperator : IMapOperator
{
    private const float A = 0.044715f;
    private const float TwoC = 2f * 0.7978845608028654f; // 2·√(2/π)

    public static float Invoke(float x, float u, float s)
    {
        float z = TwoC * x * (1f + A * x * x);
        return x / (1f + MathF.Exp(-z)) * u;
    }

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s) =>
        x / (Vector128<float>.One + Vector128.Exp(-(Vector128.Create(TwoC) * x * (Vector128<float>.One + Vector128.Create(A) * x * x)))) * u;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s) =>
        x / (Vector256<float>.One + Vector256.Exp(-(Vector256.Create(TwoC) * x * (Vector256<float>.One + Vector256.Create(A) * x * x)))) * u;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s) =>
        x / (Vector512<float>.One + Vector512.Exp(-(Vector512.Create(TwoC) * x * (Vector512<float>.One + Vector512.Create(A) * x * x)))) * u;
}

/// <summary>gpt-oss's clamped SwiGLU: g = min(gate, limit), v = clamp(up, −limit, limit), g·σ(alpha·g)·(v + 1), with
/// s = alpha and t = limit.</summary>
internal readonly struct SwiGluOaiOperator : IMap2Operator
{
    public static float Invoke(float x, float u, float s, float t)
    {
        float g = MathF.Min(x, t);
        return g / (1f + MathF.Exp(-s * g)) * (Math.Clamp(u, -t, t) + 1f);
    }

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s, Vector128<float> t)
    {
        var g = Vector128.Min(x, t);
        return g / (Vector128<float>.One + Vector128.Exp(-s * g)) * (Vector128.Min(Vector128.Max(u, -t), t) + Vector128<float>.One);
    }

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s, Vector256<float> t)
    {
        var g = Vector256.Min(x, t);
        return g / (Vector256<float>.One + Vector256.Exp(-s * g)) * (Vector256.Min(Vector256.Max(u, -t), t) + Vector256<float>.One);
    }

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s, Vector512<float> t)
    {
        var g = Vector512.Min(x, t);
        return g / (Vector512<float>.One + Vector512.Exp(-s * g)) * (Vector512.Min(Vector512.Max(u, -t), t) + Vector512<float>.One);
    }
}

/// <summary>e^(x − s): softmax's exponentials with the row maximum s subtracted.</summary>
internal readonly struct ExpMinusOperator : IMapOperator
{
    public static float Invoke(float x, float u, float s) => MathF.Exp(x - s);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> s) => Vector128.Exp(x - s);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> s) => Vector256.Exp(x - s);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> s) => Vector512.Exp(x - s);
}

/// <summary>Σ a · b with fused multiply-adds.</summary>
internal readonly struct DotOperator : IAggregateOperator
{
    public static float Identity => 0f;
    public static float Accumulate(float acc, float a, float b) => MathF.FusedMultiplyAdd(a, b, acc);
    public static Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> a, Vector128<float> b) => Vector128.FusedMultiplyAdd(a, b, acc);
    public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> a, Vector256<float> b) => Vector256.FusedMultiplyAdd(a, b, acc);
    public static Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> a, Vector512<float> b) => Vector512.FusedMultiplyAdd(a, b, acc);
    public static float Reduce(Vector128<float> acc0, Vector128<float> acc1) => Vector128.Sum(acc0 + acc1);
    public static float Reduce(Vector256<float> acc0, Vector256<float> acc1) => Vector256.Sum(acc0 + acc1);
    public static float Reduce(Vector512<float> acc0, Vector512<float> acc1) => Vector512.Sum(acc0 + acc1);
}

/// <summary>max a (b is ignored): exact in any order.</summary>
internal readonly struct MaxOperator : IAggregateOperator
{
    public static float Identity => float.NegativeInfinity;
    public static float Accumulate(float acc, float a, float b) => MathF.Max(acc, a);
    public static Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> a, Vector128<float> b) => Vector128.Max(acc, a);
    public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> a, Vector256<float> b) => Vector256.Max(acc, a);
    public static Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> a, Vector512<float> b) => Vector512.Max(acc, a);
    public static float Reduce(Vector128<float> acc0, Vector128<float> acc1) => Horizontal(Vector128.Max(acc0, acc1));
    public static float Reduce(Vector256<float> acc0, Vector256<float> acc1)
    {
        var m = Vector256.Max(acc0, acc1);
        return Reduce(m.GetLower(), m.GetUpper());
    }

    public static float Reduce(Vector512<float> acc0, Vector512<float> acc1)
    {
        var m = Vector512.Max(acc0, acc1);
        return Reduce(m.GetLower(), m.GetUpper());
    }

    private static float Horizontal(Vector128<float> v) => MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));
}
