using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Single-token (decode) dot products against F16 rows with AVX-512, converting weights in three ops per
/// 16 instead of eight: unpacking 32 halves against zero puts each half in the top of a 32-bit lane (h &lt;&lt; 16);
/// an arithmetic shift right by 3 and a mask of the three copied sign bits leave sign, exponent and mantissa where
/// an F32 has them, i.e. the weight times 2^-112 (exactly, subnormals included). The activation is prepared once
/// per matmul: multiplied by 2^112 (exact: it is already rounded to F16, |x| ≤ 65504, so no overflow) and permuted
/// to the unpack's lane order. Products equal w·x exactly, so only the summation order differs from a plain loop.</summary>
internal static unsafe class F16Decode
{
    private const float Scale = 5.192296858534828e+33f; // 2^112

    public static bool Available => CpuFeatures.Use512;

    /// <summary>xp = x prepared for <see cref="Dot"/>: per 32 columns, the 16 that unpack-low pairs with (columns
    /// 0-3, 8-11, 16-19, 24-27) then the 16 of unpack-high, times 2^112; the k mod 32 tail copied as is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prepare(float* x, int k, float* xp)
    {
        int whole = k & ~31;
        for (int b = 0; b < whole; b += 32)
            for (int lane = 0; lane < 4; lane++)
                for (int i = 0; i < 4; i++)
                {
                    xp[b + lane * 4 + i] = x[b + lane * 8 + i] * Scale;
                    xp[b + 16 + lane * 4 + i] = x[b + lane * 8 + 4 + i] * Scale;
                }
        for (int i = whole; i < k; i++) xp[i] = x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Low(Vector512<short> h) =>
        (Avx512BW.UnpackLow(Vector512<short>.Zero, h).AsInt32() >> 3 & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> High(Vector512<short> h) =>
        (Avx512BW.UnpackHigh(Vector512<short>.Zero, h).AsInt32() >> 3 & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

    /// <summary>One F16 row · the prepared activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ushort* w, int k, float* xp)
    {
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var h = Vector512.Load((short*)(w + i));
            a0 = Vector512.FusedMultiplyAdd(Low(h), Vector512.Load(xp + i), a0);
            a1 = Vector512.FusedMultiplyAdd(High(h), Vector512.Load(xp + i + 16), a1);
        }
        float s = Vector512.Sum(a0 + a1);
        for (; i < k; i++) s = MathF.FusedMultiplyAdd(HalfBits.ToFloat(w[i]), xp[i], s);
        return s;
    }

    /// <summary>Four consecutive rows (rowStride halves apart) · the prepared activation → y[0..4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(ushort* w, long rowStride, int k, float* xp, float* y)
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
            a0 = Vector512.FusedMultiplyAdd(High(h0), hi, Vector512.FusedMultiplyAdd(Low(h0), lo, a0));
            a1 = Vector512.FusedMultiplyAdd(High(h1), hi, Vector512.FusedMultiplyAdd(Low(h1), lo, a1));
            a2 = Vector512.FusedMultiplyAdd(High(h2), hi, Vector512.FusedMultiplyAdd(Low(h2), lo, a2));
            a3 = Vector512.FusedMultiplyAdd(High(h3), hi, Vector512.FusedMultiplyAdd(Low(h3), lo, a3));
        }
        var s = VectorSums.Sum4(a0, a1, a2, a3);
        for (; i < k; i++)
            s += Vector128.Create(HalfBits.ToFloat(w[i]), HalfBits.ToFloat(w1[i]), HalfBits.ToFloat(w2[i]), HalfBits.ToFloat(w3[i])) * xp[i];
        s.Store(y);
    }
}
