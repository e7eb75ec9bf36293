using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>The Vector512 → 256 → 128 → scalar ladder, written once (TensorPrimitives style): kernels name an operator
/// struct (<see cref="IMapOperator"/>, <see cref="IAggregateOperator"/>) and the runner walks the rungs the backend's
/// <see cref="CpuIsa"/> allows, tails handled here and nowhere else.</summary>
internal static unsafe class SimdLadder
{
    /// <summary>y[i] = op(x[i], u[i], s) for i &lt; n. Each rung takes what the wider one left; the scalar op the rest.
    /// y may alias x or u; pass u = x for ops that ignore it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Map<TOp>(CpuIsa isa, float* x, float* u, float s, float* y, long n) where TOp : struct, IMapOperator
    {
        long i = 0;
        if (isa.Use512)
            for (var sv = Vector512.Create(s); i + 16 <= n; i += 16) TOp.Invoke(Vector512.Load(x + i), Vector512.Load(u + i), sv).Store(y + i);
        if (isa.Use256)
            for (var sv = Vector256.Create(s); i + 8 <= n; i += 8) TOp.Invoke(Vector256.Load(x + i), Vector256.Load(u + i), sv).Store(y + i);
        if (isa.Use128)
            for (var sv = Vector128.Create(s); i + 4 <= n; i += 4) TOp.Invoke(Vector128.Load(x + i), Vector128.Load(u + i), sv).Store(y + i);
        for (; i < n; i++) y[i] = TOp.Invoke(x[i], u[i], s);
    }

    /// <summary>y[i] = op(x[i], u[i], s, t) for i &lt; n: <see cref="Map{TOp}(CpuIsa, float*, float*, float, float*, long)"/>
    /// for operators with two parameters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Map<TOp>(CpuIsa isa, float* x, float* u, float s, float t, float* y, long n) where TOp : struct, IMap2Operator
    {
        long i = 0;
        if (isa.Use512)
            for (Vector512<float> sv = Vector512.Create(s), tv = Vector512.Create(t); i + 16 <= n; i += 16)
                TOp.Invoke(Vector512.Load(x + i), Vector512.Load(u + i), sv, tv).Store(y + i);
        if (isa.Use256)
            for (Vector256<float> sv = Vector256.Create(s), tv = Vector256.Create(t); i + 8 <= n; i += 8)
                TOp.Invoke(Vector256.Load(x + i), Vector256.Load(u + i), sv, tv).Store(y + i);
        if (isa.Use128)
            for (Vector128<float> sv = Vector128.Create(s), tv = Vector128.Create(t); i + 4 <= n; i += 4)
                TOp.Invoke(Vector128.Load(x + i), Vector128.Load(u + i), sv, tv).Store(y + i);
        for (; i < n; i++) y[i] = TOp.Invoke(x[i], u[i], s, t);
    }

    /// <summary>x[i] = op(x[i], x[i], s) in place, returning Σ x[i] (after the op) summed in F64, as softmax needs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double MapSum<TOp>(CpuIsa isa, float* x, float s, long n) where TOp : struct, IMapOperator
    {
        long i = 0;
        double sum = 0;
        if (isa.Use512 && n >= 16)
        {
            var sv = Vector512.Create(s);
            var acc = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var e = TOp.Invoke(Vector512.Load(x + i), default, sv);
                e.Store(x + i);
                var (lo, hi) = Vector512.Widen(e);
                acc += lo + hi;
            }
            sum += Vector512.Sum(acc);
        }
        if (isa.Use256 && n - i >= 8)
        {
            var sv = Vector256.Create(s);
            var acc = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var e = TOp.Invoke(Vector256.Load(x + i), default, sv);
                e.Store(x + i);
                var (lo, hi) = Vector256.Widen(e);
                acc += lo + hi;
            }
            sum += Vector256.Sum(acc);
        }
        if (isa.Use128 && n - i >= 4)
        {
            var sv = Vector128.Create(s);
            var acc = Vector128<double>.Zero;
            for (; i + 4 <= n; i += 4)
            {
                var e = TOp.Invoke(Vector128.Load(x + i), default, sv);
                e.Store(x + i);
                var (lo, hi) = Vector128.Widen(e);
                acc += lo + hi;
            }
            sum += Vector128.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = TOp.Invoke(x[i], 0f, s);
            x[i] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>acc = op(acc, a[i], b[i]) over i &lt; n: the widest allowed rung with two accumulators (so consecutive
    /// vectors do not wait on each other), then the scalar op over the tail. Pass b = a for ops that ignore it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Aggregate<TOp>(CpuIsa isa, float* a, float* b, int n) where TOp : struct, IAggregateOperator
    {
        int i = 0;
        float result = TOp.Identity;
        if (isa.Use512 && n >= 16)
        {
            var acc0 = Vector512.Create(TOp.Identity);
            var acc1 = acc0;
            for (; i + 32 <= n; i += 32)
            {
                acc0 = TOp.Accumulate(acc0, Vector512.Load(a + i), Vector512.Load(b + i));
                acc1 = TOp.Accumulate(acc1, Vector512.Load(a + i + 16), Vector512.Load(b + i + 16));
            }
            for (; i + 16 <= n; i += 16)
                acc0 = TOp.Accumulate(acc0, Vector512.Load(a + i), Vector512.Load(b + i));
            result = TOp.Reduce(acc0, acc1);
        }
        else if (isa.Use256 && n >= 8)
        {
            var acc0 = Vector256.Create(TOp.Identity);
            var acc1 = acc0;
            for (; i + 16 <= n; i += 16)
            {
                acc0 = TOp.Accumulate(acc0, Vector256.Load(a + i), Vector256.Load(b + i));
                acc1 = TOp.Accumulate(acc1, Vector256.Load(a + i + 8), Vector256.Load(b + i + 8));
            }
            for (; i + 8 <= n; i += 8)
                acc0 = TOp.Accumulate(acc0, Vector256.Load(a + i), Vector256.Load(b + i));
            result = TOp.Reduce(acc0, acc1);
        }
        else if (isa.Use128 && n >= 4)
        {
            var acc0 = Vector128.Create(TOp.Identity);
            var acc1 = acc0;
            for (; i + 8 <= n; i += 8)
            {
                acc0 = TOp.Accumulate(acc0, Vector128.Load(a + i), Vector128.Load(b + i));
                acc1 = TOp.Accumulate(acc1, Vector128.Load(a + i + 4), Vector128.Load(b + i + 4));
            }
            for (; i + 4 <= n; i += 4)
                acc0 = TOp.Accumulate(acc0, Vector128.Load(a + i), Vector128.Load(b + i));
            result = TOp.Reduce(acc0, acc1);
        }
        for (; i < n; i++)
            result = TOp.Accumulate(result, a[i], b[i]);
        return result;
    }
}
