namespace Hearth.Core.Quants;

/// <summary>Small numeric helpers shared by the block formats, matching ggml's scalar reference code.</summary>
public static class QuantMath
{
    /// <summary>Round to nearest, ties to even (ggml's nearest_int adds 1.5·2^23; same result for |x| &lt; 2^22).</summary>
    public static int NearestInt(float x) => (int)MathF.Round(x, MidpointRounding.ToEven);

    /// <summary>C's roundf: round half away from zero.</summary>
    public static float RoundF(float x) => MathF.Round(x, MidpointRounding.AwayFromZero);

    public static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>float → IEEE half, round to nearest even (what F16C's vcvtps2ph and ggml's scalar path do).</summary>
    public static ushort FloatToHalf(float x) => BitConverter.HalfToUInt16Bits((Half)x);

    public static float BF16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>float → bfloat16 with round to nearest even; NaN stays a quiet NaN (as ggml does).</summary>
    public static ushort FloatToBF16(float x)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7fffffff) > 0x7f800000)
            return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    /// <summary>Unpacks the j-th 6-bit (scale, min) pair of a Q4_K/Q5_K 12-byte scale array.</summary>
    public static void ScaleMinK4(int j, ReadOnlySpan<byte> q, out byte d, out byte m)
    {
        if (j < 4)
        {
            d = (byte)(q[j] & 63);
            m = (byte)(q[j + 4] & 63);
        }
        else
        {
            d = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            m = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }
}
