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

/// <summary>Q2_K dequantization and a reference-style quantizer.</summary>
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

    /// <summary>ggml's reference algorithm (quantize_row_q2_K_ref, without its MAD variant of the search): 16-value
    /// sub-blocks fitted into 0..3, 4-bit scale and min codes against the largest, values re-derived against them.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> L = stackalloc byte[256];
        Span<byte> laux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        for (int b = 0; b < src.Length / 256; b++)
        {
            var x = src.Slice(b * 256, 256);
            var raw = dst.Slice(b * BlockQ2_K.Bytes, BlockQ2_K.Bytes);
            raw.Clear();
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; j++)
            {
                var xs = x.Slice(16 * j, 16);
                for (int l = 0; l < 16; l++) weights[l] = MathF.Abs(xs[l]);
                scales[j] = KQuantSearch.MakeQkx2(16, 3, xs, weights, L.Slice(16 * j, 16), out mins[j], laux, -0.5f, 0.1f, 15);
                maxScale = MathF.Max(maxScale, scales[j]);
                maxMin = MathF.Max(maxMin, mins[j]);
            }
            float iscale = maxScale > 0 ? 15f / maxScale : 0, imin = maxMin > 0 ? 15f / maxMin : 0;
            for (int j = 0; j < 16; j++)
                raw[j] = (byte)(QuantMath.NearestInt(iscale * scales[j]) | QuantMath.NearestInt(imin * mins[j]) << 4);
            ushort dh = QuantMath.FloatToHalf(maxScale / 15f), mh = QuantMath.FloatToHalf(maxMin / 15f);
            raw[80] = (byte)dh; raw[81] = (byte)(dh >> 8); raw[82] = (byte)mh; raw[83] = (byte)(mh >> 8);
            float dAll = QuantMath.HalfToFloat(dh), mAll = QuantMath.HalfToFloat(mh);
            for (int j = 0; j < 16; j++)
            {
                float d = dAll * (raw[j] & 0xF);
                if (d == 0) continue;
                float dm = mAll * (raw[j] >> 4);
                for (int i = 0; i < 16; i++)
                    L[16 * j + i] = (byte)Math.Clamp(QuantMath.NearestInt((x[16 * j + i] + dm) / d), 0, 3);
            }
            PackCrumbs(L, raw.Slice(16, 64));
        }
    }

    /// <summary>2-bit values of 256 into 64 bytes as Q2_K and Q3_K store them: byte n/4 + l of each 128-value half
    /// holds values l, l + 32, l + 64, l + 96 (bits 0-1, 2-3, 4-5, 6-7).</summary>
    internal static void PackCrumbs(ReadOnlySpan<byte> L, Span<byte> q)
    {
        for (int n = 0; n < 256; n += 128)
            for (int l = 0; l < 32; l++)
                q[n / 4 + l] = (byte)((L[n + l] & 3) | (L[n + l + 32] & 3) << 2 | (L[n + l + 64] & 3) << 4 | (L[n + l + 96] & 3) << 6);
    }
}
