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

/// <summary>Q5_1: 5-bit blocks of 32 with scale and offset; ggml's reference quantizer.</summary>
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

    /// <summary>ggml's quantize_row_q5_1_ref: d = (max − min)/31, m = min, q = trunc((x − min)/d + 0.5), fifth bits in qh.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_1>(dst);
        for (int b = 0; b < src.Length / 32; b++)
        {
            var x = src.Slice(b * 32, 32);
            Q4_1.MinMax(x, out float min, out float max);
            float d = (max - min) / 31, id = d != 0 ? 1 / d : 0;
            ref var blk = ref blocks[b];
            blk.D = QuantMath.FloatToHalf(d);
            blk.M = QuantMath.FloatToHalf(min);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                int q0 = (int)((x[j] - min) * id + 0.5f);
                int q1 = (int)((x[j + 16] - min) * id + 0.5f);
                blk.Qs[j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(dst.Slice(b * BlockQ5_1.Bytes + 4, 4), qh);
        }
    }
}
