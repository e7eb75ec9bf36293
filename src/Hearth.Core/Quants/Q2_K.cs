using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q2_K super-block of 256: 16 sub-blocks of 16, each with a 4-bit scale and 4-bit min
/// (scales[i]: low nibble scale, high nibble min), 2-bit quants, super-block d and dmin.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ2_K
{
    public const int Elements = 256;
    public const int Bytes = 84;
    public fixed byte Scales[16];
    public fixed byte Qs[64];
    public ushort D;
    public ushort DMin;
}

/// <summary>Q2_K dequantization.</summary>
public static unsafe class Q2_K
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ2_K>(src);
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ref readonly var blk = ref blocks[b];
            float d = QuantMath.HalfToFloat(blk.D), min = QuantMath.HalfToFloat(blk.DMin);
            var y = dst.Slice(b * 256, 256);
            int o = 0, s = 0;
            for (int n = 0; n < 256; n += 128)
            {
                int q = n / 4; // 32 bytes of quants per 128 elements
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int half = 0; half < 2; half++)
                    {
                        byte sc = blk.Scales[s++];
                        float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                        for (int l = 0; l < 16; l++)
                            y[o++] = dl * ((blk.Qs[q + half * 16 + l] >> shift) & 3) - ml;
                    }
                }
            }
        }
    }
}
