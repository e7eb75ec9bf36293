using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q5_0 block: 32 weights = d × (5-bit value − 16); the fifth bits are packed in qh
/// (bit j for element j, bit j+16 for element j+16).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ5_0
{
    public const int Elements = 32;
    public const int Bytes = 22;
    public ushort D;
    public fixed byte Qh[4];
    public fixed byte Qs[16];
}

/// <summary>Q5_0: 5-bit symmetric blocks of 32.</summary>
public static unsafe class Q5_0
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_0>(src);
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ref readonly var blk = ref blocks[b];
            float d = QuantMath.HalfToFloat(blk.D);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(src.Slice(b * BlockQ5_0.Bytes + 2, 4));
            var y = dst.Slice(b * 32, 32);
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = (((blk.Qs[j] & 0x0F) | h0) - 16) * d;
                y[j + 16] = (((blk.Qs[j] >> 4) | h1) - 16) * d;
            }
        }
    }
}
