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

    /// <summary>ggml's quantize_row_q5_0_ref: d = max / −16 for the value of largest magnitude, q = min(31,
    /// (int8) trunc(x / d + 16.5)), low nibbles in qs (element j and j + 16 share a byte), fifth bits in qh.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_0>(dst);
        for (int b = 0; b < src.Length / 32; b++)
        {
            var x = src.Slice(b * 32, 32);
            float d = Q4_0.LargestMagnitude(x) / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var blk = ref blocks[b];
            blk.D = QuantMath.FloatToHalf(d);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                // C's (int8_t) cast of a float truncates toward zero.
                int q0 = Math.Min(31, (int)(sbyte)(int)(x[j] * id + 16.5f));
                int q1 = Math.Min(31, (int)(sbyte)(int)(x[j + 16] * id + 16.5f));
                blk.Qs[j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(dst.Slice(b * BlockQ5_0.Bytes + 2, 4), qh);
        }
    }
}
