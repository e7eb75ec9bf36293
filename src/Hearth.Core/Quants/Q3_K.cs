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

/// <summary>Q3_K dequantization and a reference-style quantizer.</summary>
public static unsafe class Q3_K
{
    /// <summary>Unpacks the 16 6-bit scales: low 4 bits from bytes 0..7 (nibbles), high 2 bits from bytes 8..11.</summary>
    public static void UnpackScales(ReadOnlySpan<byte> packed, Span<sbyte> scales)
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
            UnpackScales(src.Slice(b * BlockQ3_K.Bytes + 96, 12), scales);
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

    /// <summary>ggml's reference algorithm in outline (quantize_row_q3_K_ref, with the symmetric search of
    /// <see cref="KQuantSearch.MakeQx"/>): 16-value sub-blocks into −4..3, signed 6-bit scale codes against the largest,
    /// values re-derived against them; the high bit of value + 4 in hmask, the low two in qs.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<sbyte> Ls = stackalloc sbyte[16];
        Span<byte> L = stackalloc byte[256];
        Span<float> scales = stackalloc float[16];
        Span<sbyte> codes = stackalloc sbyte[16];
        for (int b = 0; b < src.Length / 256; b++)
        {
            var x = src.Slice(b * 256, 256);
            var raw = dst.Slice(b * BlockQ3_K.Bytes, BlockQ3_K.Bytes);
            raw.Clear();
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; j++)
            {
                scales[j] = KQuantSearch.MakeQx(16, 4, x.Slice(16 * j, 16), Ls);
                if (MathF.Abs(scales[j]) > amax) { amax = MathF.Abs(scales[j]); maxScale = scales[j]; }
            }
            var sc = raw.Slice(96, 12);
            float iscale = maxScale != 0 ? -32f / maxScale : 0;
            for (int j = 0; j < 16; j++)
            {
                int l = Math.Clamp(QuantMath.NearestInt(iscale * scales[j]), -32, 31) + 32;
                if (j < 8) sc[j] = (byte)(l & 0xF); else sc[j - 8] |= (byte)((l & 0xF) << 4);
                sc[8 + j % 4] |= (byte)((l >> 4) << (2 * (j / 4)));
            }
            ushort dh = QuantMath.FloatToHalf(maxScale != 0 ? 1 / iscale : 0);
            raw[108] = (byte)dh; raw[109] = (byte)(dh >> 8);
            float dAll = QuantMath.HalfToFloat(dh);
            UnpackScales(sc, codes);
            for (int j = 0; j < 16; j++)
            {
                float d = dAll * codes[j];
                for (int i = 0; i < 16; i++)
                    L[16 * j + i] = (byte)(d == 0 ? 4 : Math.Clamp(QuantMath.NearestInt(x[16 * j + i] / d), -4, 3) + 4);
            }
            // hmask bit (n / 32) of byte n % 32 is the high bit of value n (set = no −4 offset).
            for (int n = 0; n < 256; n++)
                if (L[n] > 3)
                {
                    raw[n % 32] |= (byte)(1 << (n / 32));
                    L[n] -= 4;
                }
            Q2_K.PackCrumbs(L, raw.Slice(32, 64));
        }
    }
}
