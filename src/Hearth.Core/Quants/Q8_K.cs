using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q8_K block of 256 (the activation format K-quant dot products use): float d, int8 qs,
/// and the sums of each group of 16 quants (bsums) so the min terms cost one multiply per group.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ8_K
{
    public const int Elements = 256;
    public const int Bytes = 292;
    public float D;
    public fixed sbyte Qs[256];
    public fixed short BSums[16];
}

/// <summary>Q8_K: ggml's quantize_row_q8_K_ref (d = −max/127 of the largest-magnitude value, q = nearest).</summary>
public static unsafe class Q8_K
{
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_K>(dst);
        for (int b = 0; b < src.Length / 256; b++)
        {
            var x = src.Slice(b * 256, 256);
            ref var blk = ref blocks[b];
            float max = 0, amax = 0;
            for (int j = 0; j < 256; j++)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax) { amax = ax; max = x[j]; }
            }
            if (amax == 0)
            {
                blk = default;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < 256; j++)
                blk.Qs[j] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * x[j]));
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += blk.Qs[g * 16 + i];
                blk.BSums[g] = (short)sum;
            }
            blk.D = 1 / iscale;
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_K>(src);
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ref readonly var blk = ref blocks[b];
            for (int j = 0; j < 256; j++)
                dst[b * 256 + j] = blk.D * blk.Qs[j];
        }
    }
}
