using System.Runtime.InteropServices;

namespace Hearth.Core.Quants;

/// <summary>One Q4_K super-block of 256: 8 sub-blocks of 32 with 6-bit scale and min (12 packed bytes),
/// 4-bit quants (each 32-byte group holds sub-block 2k in low nibbles and 2k+1 in high), d and dmin.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct BlockQ4_K
{
    public const int Elements = 256;
    public const int Bytes = 144;
    public ushort D;
    public ushort DMin;
    public fixed byte Scales[12];
    public fixed byte Qs[128];
}

/// <summary>Q4_K dequantization and ggml's reference quantizer (quantize_row_q4_K_ref).</summary>
public static unsafe class Q4_K
{
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            var raw = src.Slice(b * BlockQ4_K.Bytes, BlockQ4_K.Bytes);
            float d = QuantMath.HalfToFloat((ushort)(raw[0] | raw[1] << 8));
            float min = QuantMath.HalfToFloat((ushort)(raw[2] | raw[3] << 8));
            var scales = raw.Slice(4, 12);
            var qs = raw.Slice(16, 128);
            var y = dst.Slice(b * 256, 256);
            for (int j = 0, sub = 0; j < 256; j += 64, sub += 2)
            {
                QuantMath.ScaleMinK4(sub, scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = min * m;
                QuantMath.ScaleMinK4(sub + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                var q = qs.Slice(j / 2, 32);
                for (int l = 0; l < 32; l++) y[j + l] = d1 * (q[l] & 0xF) - m1;
                for (int l = 0; l < 32; l++) y[j + 32 + l] = d2 * (q[l] >> 4) - m2;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> L = stackalloc byte[256];
        for (int b = 0; b < src.Length / 256; b++)
        {
            var raw = dst.Slice(b * BlockQ4_K.Bytes, BlockQ4_K.Bytes);
            raw.Clear();
            QuantizeScaleMin(src.Slice(b * 256, 256), 15, raw, L);
            var q = raw.Slice(16, 128);
            for (int j = 0; j < 256; j += 64)
                for (int l = 0; l < 32; l++)
                    q[j / 2 + l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
        }
    }

    /// <summary>The scale/min part of ggml's Q4_K and Q5_K reference quantizers for one super-block: fits each
    /// 32-value sub-block into 0..<paramref name="nmax"/>, writes d and dmin (bytes 0..3) and the 12 bytes of 6-bit
    /// scales and mins (bytes 4..15) of <paramref name="raw"/> (cleared), and leaves the values, re-derived against
    /// the rounded scales actually stored, in <paramref name="L"/>.</summary>
    internal static void QuantizeScaleMin(ReadOnlySpan<float> x, int nmax, Span<byte> raw, Span<byte> L)
    {
        Span<byte> laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++)
        {
            var xs = x.Slice(32 * j, 32);
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += xs[l] * xs[l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xs[l]);
            scales[j] = KQuantSearch.MakeQkx2(32, nmax, xs, weights, L.Slice(32 * j, 32), out mins[j], laux, -1f, 0.1f, 20);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        var sc = raw.Slice(4, 12);
        for (int j = 0; j < 8; j++)
        {
            byte ls = (byte)Math.Min((byte)63, (byte)QuantMath.NearestInt(invScale * scales[j]));
            byte lm = (byte)Math.Min((byte)63, (byte)QuantMath.NearestInt(invMin * mins[j]));
            KQuantSearch.PackScaleMinK4(sc, j, ls, lm);
        }
        ushort dh = QuantMath.FloatToHalf(maxScale / 63f), mh = QuantMath.FloatToHalf(maxMin / 63f);
        raw[0] = (byte)dh; raw[1] = (byte)(dh >> 8); raw[2] = (byte)mh; raw[3] = (byte)(mh >> 8);
        float dF = QuantMath.HalfToFloat(dh), mF = QuantMath.HalfToFloat(mh);
        // Re-derive the quants against the rounded (half, 6-bit) scales actually stored.
        for (int j = 0; j < 8; j++)
        {
            QuantMath.ScaleMinK4(j, sc, out byte s6, out byte m6);
            float d = dF * s6;
            if (d == 0) continue;
            float dm = mF * m6;
            for (int ii = 0; ii < 32; ii++)
                L[32 * j + ii] = (byte)Math.Clamp(QuantMath.NearestInt((x[32 * j + ii] + dm) / d), 0, nmax);
        }
    }
}
