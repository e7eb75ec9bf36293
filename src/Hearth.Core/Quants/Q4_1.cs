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

/// <summary>Q4_1: 4-bit blocks of 32 with scale and offset.</summary>
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
}
