using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q5_1 block: 32 weights = d × (5-bit value) + m, fifth bits packed in qh as in Q5_0.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ5_1
{
    public const int Elements = 32;
    public const int Bytes = 24;
    public ushort D;
    public ushort M;
    public fixed byte Qh[4];
    public fixed byte Qs[16];
}

/// <summary>Q5_1: 5-bit blocks of 32 with scale and offset.</summary>
public static unsafe class Q5_1
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_1>(src);
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ref readonly var blk = ref blocks[b];
            float d = QuantMath.HalfToFloat(blk.D), m = QuantMath.HalfToFloat(blk.M);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(src.Slice(b * BlockQ5_1.Bytes + 4, 4));
            var y = dst.Slice(b * 32, 32);
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = ((blk.Qs[j] & 0x0F) | h0) * d + m;
                y[j + 16] = ((blk.Qs[j] >> 4) | h1) * d + m;
            }
        }
    }
}
