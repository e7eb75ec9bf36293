using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q3_K super-block of 256: 2 low bits in qs, the high bit in hmask (set = no −4 offset),
/// 16 signed 6-bit scales packed in 12 bytes, super-block d.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ3_K
{
    public const int Elements = 256;
    public const int Bytes = 110;
    public fixed byte HMask[32];
    public fixed byte Qs[64];
    public fixed byte Scales[12];
    public ushort D;
}

/// <summary>Q3_K dequantization.</summary>
public static unsafe class Q3_K
{
    /// <summary>Unpacks the 16 6-bit scales: low 4 bits from bytes 0..7 (nibbles), high 2 bits from bytes 8..11.</summary>
    internal static void UnpackScales(byte* packed, Span<sbyte> scales)
    {
        for (int i = 0; i < 16; i++)
        {
            int low = i < 8 ? packed[i] & 0xF : packed[i - 8] >> 4;
            int high = (packed[8 + (i % 4)] >> (2 * (i / 4))) & 3;
            scales[i] = (sbyte)((low | (high << 4)) - 32);
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ3_K>(src);
        Span<sbyte> scales = stackalloc sbyte[16];
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ref readonly var blk = ref blocks[b];
            float dAll = QuantMath.HalfToFloat(blk.D);
            fixed (byte* sp = blk.Scales)
                UnpackScales(sp, scales);
            var y = dst.Slice(b * 256, 256);
            int o = 0, s = 0, m = 1;
            for (int n = 0; n < 256; n += 128)
            {
                int q = n / 4;
                for (int shift = 0; shift < 8; shift += 2, m <<= 1)
                {
                    for (int half = 0; half < 2; half++)
                    {
                        float dl = dAll * scales[s++];
                        for (int l = 0; l < 16; l++)
                        {
                            int idx = half * 16 + l;
                            int v = ((blk.Qs[q + idx] >> shift) & 3) - ((blk.HMask[idx] & m) != 0 ? 0 : 4);
                            y[o++] = dl * v;
                        }
                    }
                }
            }
        }
    }
}
