using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary><see cref="F16Decode"/> on the AVX2 rung: 16 halves per load, unpacked against zero within each 128-bit
/// lane (low: columns 0-3 and 8-11, high: 4-7 and 12-15), so an F16 weight becomes an F32 (times 2^-112, which the
/// prepared activation cancels) in three cheap ops per 8 instead of the seven of <see cref="HalfBits"/>' conversion.
/// Products equal w·x exactly; only the summation order differs from a plain loop.</summary>
internal static unsafe class F16Decode256
{
    public static bool Available(CpuIsa isa) => isa.Use256 && !isa.Use512 && Fma.IsSupported;

    /// <summary>xp = x prepared for <see cref="Dot"/>: per 16 columns, the 8 that unpack-low pairs with (columns 0-3,
    /// 8-11) then the 8 of unpack-high, times the format's prescale; the k mod 16 tail copied as is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prepare<TH>(float* x, int k, float* xp) where TH : struct, IHalfWidening
    {
        int whole = k & ~15;
        for (int b = 0; b < whole; b += 16)
            for (int lane = 0; lane < 2; lane++)
                for (int i = 0; i < 4; i++)
                {
                    xp[b + lane * 4 + i] = x[b + lane * 8 + i] * TH.Prescale;
                    xp[b + 8 + lane * 4 + i] = x[b + lane * 8 + 4 + i] * TH.Prescale;
                }
        for (int i = whole; i < k; i++) xp[i] = x[i];
    }

    /// <summary>One row · the prepared activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot<TH>(ushort* w, int k, float* xp) where TH : struct, IHalfWidening
    {
        var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var h = Vector256.Load((short*)(w + i));
            var g = Vector256.Load((short*)(w + i + 16));
            a0 = Fma.MultiplyAdd(TH.Low(h), Vector256.Load(xp + i), a0);
            a1 = Fma.MultiplyAdd(TH.High(h), Vector256.Load(xp + i + 8), a1);
            a2 = Fma.MultiplyAdd(TH.Low(g), Vector256.Load(xp + i + 16), a2);
            a3 = Fma.MultiplyAdd(TH.High(g), Vector256.Load(xp + i + 24), a3);
        }
        for (; i + 16 <= k; i += 16)
        {
            var h = Vector256.Load((short*)(w + i));
            a0 = Fma.MultiplyAdd(TH.Low(h), Vector256.Load(xp + i), a0);
            a1 = Fma.MultiplyAdd(TH.High(h), Vector256.Load(xp + i + 8), a1);
        }
        float s = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; i < k; i++) s = MathF.FusedMultiplyAdd(TH.ToFloat(w[i]), xp[i], s);
        return s;
    }

    /// <summary>Four consecutive rows (rowStride halves apart) · the prepared activation → y[0..4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4<TH>(ushort* w, long rowStride, int k, float* xp, float* y) where TH : struct, IHalfWidening
    {
        var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
        ushort* w1 = w + rowStride, w2 = w + 2 * rowStride, w3 = w + 3 * rowStride;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var lo = Vector256.Load(xp + i);
            var hi = Vector256.Load(xp + i + 8);
            var h0 = Vector256.Load((short*)(w + i));
            var h1 = Vector256.Load((short*)(w1 + i));
            var h2 = Vector256.Load((short*)(w2 + i));
            var h3 = Vector256.Load((short*)(w3 + i));
            a0 = Fma.MultiplyAdd(TH.High(h0), hi, Fma.MultiplyAdd(TH.Low(h0), lo, a0));
            a1 = Fma.MultiplyAdd(TH.High(h1), hi, Fma.MultiplyAdd(TH.Low(h1), lo, a1));
            a2 = Fma.MultiplyAdd(TH.High(h2), hi, Fma.MultiplyAdd(TH.Low(h2), lo, a2));
            a3 = Fma.MultiplyAdd(TH.High(h3), hi, Fma.MultiplyAdd(TH.Low(h3), lo, a3));
        }
        var s = VectorSums.Sum4(a0, a1, a2, a3);
        for (; i < k; i++)
            s += Vector128.Create(TH.ToFloat(w[i]), TH.ToFloat(w1[i]), TH.ToFloat(w2[i]), TH.ToFloat(w3[i])) * xp[i];
        s.Store(y);
    }
}
