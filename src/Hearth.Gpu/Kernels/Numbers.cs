using ILGPU;

namespace Hearth.Gpu.Kernels;

/// <summary>Bit-exact float format conversions usable inside kernels (integer arithmetic only, so the CPU accelerator
/// and PTX agree): IEEE half and bfloat16 to and from F32, rounding to nearest even.</summary>
internal static class Numbers
{
    public static float HalfToFloat(int h)
    {
        int sign = (h & 0x8000) << 16;
        int exp = (h >> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0)
        {
            float v = mant * (1.0f / 16777216.0f); // subnormal: mant · 2^-24
            return sign != 0 ? -v : v;
        }
        if (exp == 31) return Interop.IntAsFloat((uint)(sign | 0x7F800000 | (mant << 13)));
        return Interop.IntAsFloat((uint)(sign | ((exp + 112) << 23) | (mant << 13)));
    }

    public static ushort FloatToHalf(float f)
    {
        uint x = Interop.FloatAsInt(f);
        uint sign = (x >> 16) & 0x8000;
        int rawExp = (int)((x >> 23) & 0xFF);
        uint mant = x & 0x7FFFFF;
        if (rawExp == 0xFF) return (ushort)(sign | 0x7C00 | (mant != 0 ? 0x200u : 0u));
        int exp = rawExp - 127 + 15;
        if (exp >= 31) return (ushort)(sign | 0x7C00);
        if (exp <= 0)
        {
            if (exp < -10) return (ushort)sign;
            mant |= 0x800000;
            int shift = 14 - exp;
            uint half = mant >> shift;
            uint rest = mant & ((1u << shift) - 1);
            uint mid = 1u << (shift - 1);
            if (rest > mid || (rest == mid && (half & 1) != 0)) half++;
            return (ushort)(sign | half);
        }
        uint h = ((uint)exp << 10) | (mant >> 13);
        uint r = mant & 0x1FFF;
        if (r > 0x1000 || (r == 0x1000 && (h & 1) != 0)) h++; // a carry into the exponent is the correct rounding
        return (ushort)(sign | h);
    }

    public static float BFloat16ToFloat(int b) => Interop.IntAsFloat((uint)(b & 0xFFFF) << 16);

    public static ushort FloatToBFloat16(float f)
    {
        uint x = Interop.FloatAsInt(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) return (ushort)((x >> 16) | 0x40); // quiet NaN
        return (ushort)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
    }
}
