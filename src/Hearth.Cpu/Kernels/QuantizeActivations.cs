using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>Converts activation rows to a weight type's "vec-dot type" exactly as llama.cpp does, so results
/// match its references: Q8_0 (blocks of 32, F16 scale, round-half-even), Q8_K (blocks of 256, F32 scale,
/// 16-element sums) and F16/BF16 rounding.</summary>
internal static unsafe class QuantizeActivations
{
    /// <summary>Q8_0: d = amax/127 stored as F16; q = round_even(x · 127/amax). When <paramref name="corrections"/> is
    /// given, also writes −128·Σq per block (what the packed u8-weight kernel subtracts).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0(CpuIsa isa, float* x, int k, sbyte* q, float* d, int* corrections = null)
    {
        int nb = k / 32;
        for (int b = 0; b < nb; b++)
        {
            float* xb = x + b * 32;
            sbyte* qb = q + b * 32;
            float amax;
            if (isa.Use256)
            {
                var m = Vector256.Max(Vector256.Max(Vector256.Abs(Vector256.Load(xb)), Vector256.Abs(Vector256.Load(xb + 8))),
                                      Vector256.Max(Vector256.Abs(Vector256.Load(xb + 16)), Vector256.Abs(Vector256.Load(xb + 24))));
                var h = Vector128.Max(m.GetLower(), m.GetUpper());
                amax = MathF.Max(MathF.Max(h[0], h[1]), MathF.Max(h[2], h[3]));
            }
            else
            {
                amax = 0;
                for (int i = 0; i < 32; i++) amax = MathF.Max(amax, MathF.Abs(xb[i]));
            }
            d[b] = HalfBits.RoundToHalf(amax / 127f);
            float id = amax != 0 ? 127f / amax : 0f;
            if (isa.Use256)
            {
                var s = Vector256.Create(id);
                var i0 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb) * s));
                var i1 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb + 8) * s));
                var i2 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb + 16) * s));
                var i3 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xb + 24) * s));
                // Narrow works per 128-bit lane pair in order for the generic API, so the element order is preserved.
                var s01 = Vector256.Narrow(i0, i1);
                var s23 = Vector256.Narrow(i2, i3);
                Vector256.Narrow(s01, s23).Store(qb);
                if (corrections != null) corrections[b] = -128 * Vector256.Sum((i0 + i1) + (i2 + i3));
            }
            else
            {
                int sum = 0;
                for (int i = 0; i < 32; i++) sum += qb[i] = (sbyte)MathF.Round(xb[i] * id, MidpointRounding.ToEven);
                if (corrections != null) corrections[b] = -128 * sum;
            }
        }
    }

    /// <summary>Q8_K: per 256 block, iscale = -127/max (max = the value of largest magnitude),
    /// q = min(127, round_even(iscale·x)), d = 1/iscale, and 16 sums of 16 quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_K(CpuIsa isa, float* x, int k, sbyte* q, float* d, int* bsums)
    {
        int nb = k / 256;
        for (int b = 0; b < nb; b++)
        {
            float* xb = x + b * 256;
            sbyte* qb = q + b * 256;
            float max = 0, amax = 0;
            for (int i = 0; i < 256; i++)
            {
                float ax = MathF.Abs(xb[i]);
                if (ax > amax) { amax = ax; max = xb[i]; }
            }
            if (amax == 0)
            {
                d[b] = 0;
                new Span<sbyte>(qb, 256).Clear();
                new Span<int>(bsums + b * 16, 16).Clear();
                continue;
            }
            float iscale = -127f / max;
            for (int i = 0; i < 256; i++)
                qb[i] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * xb[i], MidpointRounding.ToEven));
            for (int g = 0; g < 16; g++)
            {
                int s = 0;
                for (int i = 0; i < 16; i++) s += qb[g * 16 + i];
                bsums[b * 16 + g] = s;
            }
            d[b] = 1 / iscale;
        }
    }

    /// <summary>Rounds each value to the nearest F16 (ties to even), kept as F32. With AVX2, 8 at a time by adding
    /// the rounding bias to the F32 bits and clearing the 13 bits F16 lacks (exact where the result is a normal F16 or
    /// zero); a vector with any value outside that range (F16 subnormals, overflow, NaN) goes through the scalar
    /// conversion.</summary>
    /// <param name="scale">A power of two the rounded values are multiplied by (exactly; a kernel's prescale).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RoundF16(CpuIsa isa, float* x, int n, float* y, float scale = 1f)
    {
        int i = 0;
        if (isa.Use256)
        {
            var smallest = Vector256.Create(6.103515625e-05f); // 2^-14, the least normal F16
            var largest = Vector256.Create(65504f);
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                var a = Vector256.Abs(v);
                var normal = (Vector256.GreaterThanOrEqual(a, smallest) & Vector256.LessThanOrEqual(a, largest)) | Vector256.Equals(a, Vector256<float>.Zero);
                if (normal.AsUInt32() != Vector256<uint>.AllBitsSet)
                {
                    for (int j = i; j < i + 8; j++) y[j] = HalfBits.RoundToHalf(x[j]) * scale;
                    continue;
                }
                var u = v.AsUInt32();
                (((u + Vector256.Create(0xFFFu) + ((u >> 13) & Vector256<uint>.One)) & Vector256.Create(0xFFFFE000u)).AsSingle() * scale).Store(y + i);
            }
        }
        for (; i < n; i++) y[i] = HalfBits.RoundToHalf(x[i]) * scale;
    }

    /// <summary>Rounds each value to the nearest BF16 (ties to even), kept as F32; NaNs stay NaNs (quietened).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RoundBF16(CpuIsa isa, float* x, int n, float* y)
    {
        int i = 0;
        if (isa.Use256)
            for (; i + 8 <= n; i += 8)
            {
                var u = Vector256.Load((uint*)(x + i));
                var rounded = (u + Vector256.Create(0x7FFFu) + ((u >> 16) & Vector256<uint>.One)) & Vector256.Create(0xFFFF0000u);
                var nan = Vector256.GreaterThan(u & Vector256.Create(0x7FFFFFFFu), Vector256.Create(0x7F800000u));
                Vector256.ConditionalSelect(nan, (u | Vector256.Create(0x400000u)) & Vector256.Create(0xFFFF0000u), rounded).Store((uint*)(y + i));
            }
        for (; i < n; i++) y[i] = RoundBF16(x[i]);
    }

    private static float RoundBF16(float x)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        u = (u & 0x7fffffff) > 0x7f800000 ? (u | 0x400000) & 0xffff0000 : (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000;
        return BitConverter.UInt32BitsToSingle(u);
    }
}
