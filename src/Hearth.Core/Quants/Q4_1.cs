using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q4_1 block: 32 weights = d × nibble + m.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ4_1
{
    public const int Elements = 32;
    public const int Bytes = 20;
    public ushort D;
    public ushort M;
    public fixed byte Qs[16];
}

/// <summary>Q4_1: 4-bit blocks of 32 with scale and offset; ggml's reference quantizer.</summary>
public static unsafe class Q4_1
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_1>(src);
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ref readonly var blk = ref blocks[b];
            float d = QuantMath.HalfToFloat(blk.D), m = QuantMath.HalfToFloat(blk.M);
            var y = dst.Slice(b * 32, 32);
            for (int j = 0; j < 16; j++)
            {
                y[j] = (blk.Qs[j] & 0x0F) * d + m;
                y[j + 16] = (blk.Qs[j] >> 4) * d + m;
            }
        }
    }

    /// <summary>ggml's quantize_row_q4_1_ref: d = (max − min)/15, m = min, q = min(15, trunc((x − min)/d + 0.5)).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_1>(dst);
        for (int b = 0; b < src.Length / 32; b++)
        {
            var x = src.Slice(b * 32, 32);
            MinMax(x, out float min, out float max);
            float d = (max - min) / 15, id = d != 0 ? 1 / d : 0;
            ref var blk = ref blocks[b];
            blk.D = QuantMath.FloatToHalf(d);
            blk.M = QuantMath.FloatToHalf(min);
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(15, (int)(sbyte)(int)((x[j] - min) * id + 0.5f));
                int q1 = Math.Min(15, (int)(sbyte)(int)((x[j + 16] - min) * id + 0.5f));
                blk.Qs[j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    /// <summary>The smallest and largest of <paramref name="x"/>.</summary>
    internal static void MinMax(ReadOnlySpan<float> x, out float min, out float max)
    {
        min = float.MaxValue;
        max = float.MinValue;
        foreach (float v in x)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
    }
}
