using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>IEEE half → float by bit manipulation (exact for zero, subnormals and normals; weights carry no
/// infinities or NaNs): shift the exponent+mantissa into place and rescale by 2^112, which also normalises subnormals.</summary>
internal static class HalfBits
{
    private const float Rescale = 5.192296858534828e+33f; // 2^112

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort h)
    {
        float magnitude = BitConverter.Int32BitsToSingle((h & 0x7fff) << 13) * Rescale;
        return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(magnitude) | ((h & 0x8000) << 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToHalf(float x) => (float)(Half)x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToFloat(Vector512<uint> h)
    {
        var magnitude = ((h & Vector512.Create(0x7fffu)) << 13).AsSingle() * Vector512.Create(Rescale);
        return (magnitude.AsUInt32() | ((h & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToFloat(Vector256<uint> h)
    {
        var magnitude = ((h & Vector256.Create(0x7fffu)) << 13).AsSingle() * Vector256.Create(Rescale);
        return (magnitude.AsUInt32() | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToFloat(Vector128<uint> h)
    {
        var magnitude = ((h & Vector128.Create(0x7fffu)) << 13).AsSingle() * Vector128.Create(Rescale);
        return (magnitude.AsUInt32() | ((h & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }
}
