using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q4_0 block: 32 weights = d × (nibble − 8); byte j holds element j (low) and j+16 (high).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ4_0
{
    public const int Elements = 32;
    public const int Bytes = 18;
    public ushort D;
    public fixed byte Qs[16];
}

/// <summary>Q4_0: 4-bit symmetric blocks of 32.</summary>
public static unsafe class Q4_0
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_0>(src);
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ref readonly var blk = ref blocks[b];
            float d = QuantMath.HalfToFloat(blk.D);
            var y = dst.Slice(b * 32, 32);
            for (int j = 0; j < 16; j++)
            {
                y[j] = ((blk.Qs[j] & 0x0F) - 8) * d;
                y[j + 16] = ((blk.Qs[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>ggml's quantize_row_q4_0_ref: d = (value of largest magnitude) / −8,
    /// q = min(15, trunc(x/d + 8.5)).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_0>(dst);
        for (int b = 0; b < src.Length / 32; b++)
        {
            var x = src.Slice(b * 32, 32);
            float d = LargestMagnitude(x) / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var blk = ref blocks[b];
            blk.D = QuantMath.FloatToHalf(d);
            for (int j = 0; j < 16; j++)
            {
                // C's (int8_t) cast of a float truncates toward zero.
                int xi0 = Math.Min(15, (int)(sbyte)(int)(x[j] * id + 8.5f));
                int xi1 = Math.Min(15, (int)(sbyte)(int)(x[j + 16] * id + 8.5f));
                blk.Qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>The value of largest magnitude in a block (the first of equals), signed: ggml's symmetric quantizers map it
    /// to the most negative code (Q4_0: −8, Q5_0: −16).</summary>
    internal static float LargestMagnitude(ReadOnlySpan<float> x)
    {
        float amax = 0, max = 0;
        for (int j = 0; j < x.Length; j++)
        {
            float v = x[j];
            if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
        }
        return max;
    }
}
