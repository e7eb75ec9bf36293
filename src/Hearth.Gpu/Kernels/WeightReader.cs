using ILGPU;

namespace Hearth.Gpu.Kernels;

/// <summary>Reads weight elements inside kernels from the raw device bytes of any <see cref="WeightFormat"/>.
/// Quantized formats are addressed by sub-blocks of 32 (Q8_0 and MXFP4: one block; Q4_K: one of the 8 sub-blocks of a
/// super-block, with its own scale and min; Q6_K: one of 8, whose two halves of 16 have a scale each), so a thread
/// dequantizes a sub-block with one or two scale lookups.</summary>
internal static class WeightReader
{
    public const int SubBlock = 32;

    /// <summary>Bytes of one row of <paramref name="columns"/> elements.</summary>
    public static long RowBytes(int format, int columns) => format switch
    {
        (int)WeightFormat.F32 => columns * 4L,
        (int)WeightFormat.F16 or (int)WeightFormat.BF16 => columns * 2L,
        (int)WeightFormat.Q8_0 => columns / 32 * 34L,
        (int)WeightFormat.MXFP4 => columns / 32 * 17L,
        (int)WeightFormat.Q6_K => columns / 256 * 210L,
        _ => columns / 256 * 144L,
    };

    public static float HalfAt(ArrayView<byte> bytes, long offset) =>
        Numbers.HalfToFloat(bytes[offset] | (bytes[offset + 1] << 8));

    /// <summary>Element <paramref name="column"/> of the row starting at byte <paramref name="rowStart"/>.</summary>
    public static float Element(ArrayView<byte> w, int format, long rowStart, int column)
    {
        if (format == (int)WeightFormat.F32)
            return Interop.IntAsFloat((uint)(w[rowStart + column * 4L] | (w[rowStart + column * 4L + 1] << 8)
                | (w[rowStart + column * 4L + 2] << 16) | (w[rowStart + column * 4L + 3] << 24)));
        if (format == (int)WeightFormat.F16) return HalfAt(w, rowStart + column * 2L);
        if (format == (int)WeightFormat.BF16)
            return Numbers.BFloat16ToFloat(w[rowStart + column * 2L] | (w[rowStart + column * 2L + 1] << 8));
        if (format == (int)WeightFormat.Q6_K)
            return Q6Scale(w, rowStart, column / SubBlock, column % SubBlock) * Quant(w, format, rowStart, column / SubBlock, column % SubBlock);
        SubBlockScale(w, format, rowStart, column / SubBlock, out float scale, out float min);
        return scale * Quant(w, format, rowStart, column / SubBlock, column % SubBlock) - min;
    }

    /// <summary>Σ_l w[sub·32 + l] · x[xStart + l] over sub-block <paramref name="sub"/> of a quantized row, one scale
    /// lookup per 32 (per 16 for Q6_K).</summary>
    public static float SubBlockDot(ArrayView<byte> w, int format, long rowStart, int sub, ArrayView<float> x, long xStart)
    {
        if (format == (int)WeightFormat.Q6_K)
        {
            float dot0 = 0, dot1 = 0;
            for (int l = 0; l < 16; l++) dot0 += Quant(w, format, rowStart, sub, l) * x[xStart + l];
            for (int l = 16; l < SubBlock; l++) dot1 += Quant(w, format, rowStart, sub, l) * x[xStart + l];
            return Q6Scale(w, rowStart, sub, 0) * dot0 + Q6Scale(w, rowStart, sub, 16) * dot1;
        }
        SubBlockScale(w, format, rowStart, sub, out float scale, out float min);
        float dot = 0, xs = 0;
        for (int l = 0; l < SubBlock; l++)
        {
            float xv = x[xStart + l];
            dot += Quant(w, format, rowStart, sub, l) * xv;
            xs += xv;
        }
        return scale * dot - min * xs;
    }

    /// <summary>Q6_K: d · scale of the 16 elements of sub-block <paramref name="sub"/> that hold <paramref name="lane"/>
    /// (sub-block j of a super-block is quarter j % 4 of half j / 4; its scales are 8·half + 2·quarter and the next).</summary>
    private static float Q6Scale(ArrayView<byte> w, long rowStart, int sub, int lane)
    {
        long block = rowStart + sub / 8 * 210L;
        int j = sub % 8;
        return HalfAt(w, block + 208) * (sbyte)w[block + 192 + 8 * (j / 4) + 2 * (j % 4) + lane / 16];
    }

    /// <summary>Scale and min of sub-block <paramref name="sub"/> of a quantized row (value = scale · q − min).</summary>
    public static void SubBlockScale(ArrayView<byte> w, int format, long rowStart, int sub, out float scale, out float min)
    {
        if (format == (int)WeightFormat.Q8_0)
        {
            scale = HalfAt(w, rowStart + sub * 34L);
            min = 0;
            return;
        }
        if (format == (int)WeightFormat.MXFP4)
        {
            // 2^(e − 128) (ggml's E8M0 half scale, matching the doubled value table), exact down to the subnormal e < 2.
            int e = w[rowStart + sub * 17L];
            scale = Interop.IntAsFloat(e < 2 ? 0x00200000u << e : (uint)(e - 1) << 23);
            min = 0;
            return;
        }
        long block = rowStart + sub / 8 * 144L;
        int j = sub % 8;
        float d = HalfAt(w, block), dmin = HalfAt(w, block + 2);
        long scales = block + 4;
        int sc, m;
        if (j < 4)
        {
            sc = w[scales + j] & 63;
            m = w[scales + j + 4] & 63;
        }
        else
        {
            sc = (w[scales + j + 4] & 0xF) | ((w[scales + j - 4] >> 6) << 4);
            m = (w[scales + j + 4] >> 4) | ((w[scales + j] >> 6) << 4);
        }
        scale = d * sc;
        min = dmin * m;
    }

    /// <summary>The integer quant of element <paramref name="lane"/> of sub-block <paramref name="sub"/>.</summary>
    public static int Quant(ArrayView<byte> w, int format, long rowStart, int sub, int lane)
    {
        if (format == (int)WeightFormat.Q8_0) return (sbyte)w[rowStart + sub * 34L + 2 + lane];
        if (format == (int)WeightFormat.MXFP4)
        {
            // Elements 0..15 in the low nibbles of the 16 bytes, 16..31 in the high ones; E2M1 doubled: 0 1 2 3 4 6 8 12, sign bit 8.
            byte b = w[rowStart + sub * 17L + 1 + (lane & 15)];
            int nibble = lane < 16 ? b & 0xF : b >> 4;
            int m = nibble & 7;
            int v = m <= 4 ? m : m == 5 ? 6 : m == 6 ? 8 : 12;
            return nibble >= 8 ? -v : v;
        }
        if (format == (int)WeightFormat.Q6_K)
        {
            // Half h = j / 4 holds 128 elements in 64 ql bytes and 32 qh bytes; quarter j % 4 takes the low (0, 1) or high
            // (2, 3) nibbles of ql[l] (0, 2) or ql[l + 32] (1, 3) and bits 2·quarter of qh[l]; values are biased by 32.
            long block = rowStart + sub / 8 * 210L;
            int j = sub % 8, half = j / 4, quarter = j % 4;
            byte ql = w[block + 64 * half + lane + (quarter & 1) * 32];
            int low = quarter < 2 ? ql & 0xF : ql >> 4;
            int high = (w[block + 128 + 32 * half + lane] >> (2 * quarter)) & 3;
            return (low | (high << 4)) - 32;
        }
        // Q4_K: each 32-byte group of quants holds sub-block 2k in its low nibbles and 2k+1 in its high nibbles.
        byte q = w[rowStart + sub / 8 * 144L + 16 + (sub % 8) / 2 * 32 + lane];
        return (sub & 1) == 0 ? q & 0xF : q >> 4;
    }
}
