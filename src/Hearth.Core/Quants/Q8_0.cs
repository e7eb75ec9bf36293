using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q8_0 block: 32 weights = d (half) × qs[i] (int8).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ8_0
{
    public const int Elements = 32;
    public const int Bytes = 34;
    public ushort D;
    public fixed sbyte Qs[32];
}

/// <summary>Q8_0: 8-bit symmetric blocks of 32.</summary>
public static unsafe class Q8_0
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_0>(src);
        for (int b = 0; b < dst.Length / BlockQ8_0.Elements; b++)
        {
            ref readonly var blk = ref blocks[b];
            float d = QuantMath.HalfToFloat(blk.D);
            var y = dst.Slice(b * BlockQ8_0.Elements, BlockQ8_0.Elements);
            for (int j = 0; j < 32; j++)
                y[j] = blk.Qs[j] * d;
        }
    }

    /// <summary>ggml's quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d) (half away from zero).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_0>(dst);
        for (int b = 0; b < src.Length / BlockQ8_0.Elements; b++)
        {
            var x = src.Slice(b * BlockQ8_0.Elements, BlockQ8_0.Elements);
            float amax = 0;
            for (int j = 0; j < 32; j++)
                amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var blk = ref blocks[b];
            blk.D = QuantMath.FloatToHalf(d);
            for (int j = 0; j < 32; j++)
                blk.Qs[j] = (sbyte)QuantMath.RoundF(x[j] * id);
        }
    }
}
