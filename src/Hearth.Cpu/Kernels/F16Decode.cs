using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Single-token (decode) dot products against F16 and BF16 rows with AVX-512 (the <see cref="IHalfWidening"/> type argument says
/// which). Unpacking 32 halves against zero puts each in the top of a 32-bit lane (h &lt;&lt; 16): for BF16 that is
/// the F32 value; for F16 an arithmetic shift right by 3 and a mask of the three copied sign bits leave sign, exponent
/// and mantissa where an F32 has them, i.e. the weight times 2^-112 (exactly, subnormals included), three ops per 16
/// instead of eight. The activation is prepared once per matmul: multiplied by the format's prescale (F16: 2^112,
/// exact since it is already rounded to F16, |x| ≤ 65504) and permuted to the unpack's lane order. Products equal w·x
/// exactly, so only the summation order differs from a plain loop.</summary>
internal static unsafe class F16Decode
{
    public static bool Available(CpuIsa isa) => isa.Use512;

    /// <summary>xp = x prepared for <see cref="Dot"/>: per 32 columns, the 16 that unpack-low pairs with (columns
    /// 0-3, 8-11, 16-19, 24-27) then the 16 of unpack-high, times 2^112; the k mod 32 tail copied as is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prepare<TH>(float* x, int k, float* xp) where TH : struct, IHalfWidening
    {
        int whole = k & ~31;
        for (int b = 0; b < whole; b += 32)
            for (int lane = 0; lane < 4; lane++)
                for (int i = 0; i < 4; i++)
                {
                    xp[b + lane * 4 + i] = x[b + lane * 8 + i] * TH.Prescale;
                    xp[b + 16 + lane * 4 + i] = x[b + lane * 8 + 4 + i] * TH.Prescale;
                }
        for (int i = whole; i < k; i++) xp[i] = x[i];
    }

    /// <summary>One row · the prepared activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot<TH>(ushort* w, int k, float* xp) where TH : struct, IHalfWidening
    {
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var h = Vector512.Load((short*)(w + i));
            a0 = Vector512.FusedMultiplyAdd(TH.Low(h), Vector512.Load(xp + i), a0);
            a1 = Vector512.FusedMultiplyAdd(TH.High(h), Vector512.Load(xp + i + 16), a1);
        }
        float s = Vector512.Sum(a0 + a1);
        for (; i < k; i++) s = MathF.FusedMultiplyAdd(TH.ToFloat(w[i]), xp[i], s);
        return s;
    }

    /// <summary>Four consecutive rows (rowStride halves apart) · the prepared activation → y[0..4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4<TH>(ushort* w, long rowStride, int k, float* xp, float* y) where TH : struct, IHalfWidening
    {
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        ushort* w1 = w + rowStride, w2 = w + 2 * rowStride, w3 = w + 3 * rowStride;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var lo = Vector512.Load(xp + i);
            var hi = Vector512.Load(xp + i + 16);
            var h0 = Vector512.Load((short*)(w + i));
            var h1 = Vector512.Load((short*)(w1 + i));
            var h2 = Vector512.Load((short*)(w2 + i));
            var h3 = Vector512.Load((short*)(w3 + i));
            a0 = Vector512.FusedMultiplyAdd(TH.High(h0), hi, Vector512.FusedMultiplyAdd(TH.Low(h0), lo, a0));
            a1 = Vector512.FusedMultiplyAdd(TH.High(h1), hi, Vector512.FusedMultiplyAdd(TH.Low(h1), lo, a1));
            a2 = Vector512.FusedMultiplyAdd(TH.High(h2), hi, Vector512.FusedMultiplyAdd(TH.Low(h2), lo, a2));
            a3 = Vector512.FusedMultiplyAdd(TH.High(h3), hi, Vector512.FusedMultiplyAdd(TH.Low(h3), lo, a3));
        }
        var s = VectorSums.Sum4(a0, a1, a2, a3);
        for (; i < k; i++)
            s += Vector128.Create(TH.ToFloat(w[i]), TH.ToFloat(w1[i]), TH.ToFloat(w2[i]), TH.ToFloat(w3[i])) * xp[i];
        s.Store(y);
    }
}

/// <summary>How <see cref="F16Decode"/> widens a 16-bit float format: 32 values unpacked against zero (low and high
/// halves of each 128-bit lane), the prescale the activation takes to cancel it, and the scalar tail conversion.</summary>
internal interface IHalfWidening
{
    static abstract float Prescale { get; }
    static abstract Vector512<float> Low(Vector512<short> h);
    static abstract Vector512<float> High(Vector512<short> h);
    static abstract float ToFloat(ushort h);
}

/// <summary>F16: the weight times 2^-112 (see <see cref="F16Decode"/>).</summary>
internal struct F16Widening : IHalfWidening
{
    public static float Prescale => 5.192296858534828e+33f; // 2^112

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(Vector512<short> h) =>
        (Avx512BW.UnpackLow(Vector512<short>.Zero, h).AsInt32() >> 3 & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(Vector512<short> h) =>
        (Avx512BW.UnpackHigh(Vector512<short>.Zero, h).AsInt32() >> 3 & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

    public static float ToFloat(ushort h) => HalfBits.ToFloat(h);
}

/// <summary>BF16: the top half of an F32, so the unpack alone is the value.</summary>
internal struct BF16Widening : IHalfWidening
{
    public static float Prescale => 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(Vector512<short> h) => Avx512BW.UnpackLow(Vector512<short>.Zero, h).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(Vector512<short> h) => Avx512BW.UnpackHigh(Vector512<short>.Zero, h).AsSingle();

    public static float ToFloat(ushort h) => BitConverter.UInt32BitsToSingle((uint)h << 16);
}

