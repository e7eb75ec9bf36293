using ILGPU;

namespace Hearth.Gpu.Kernels;

/// <summary>Reads weight elements inside kernels from the raw device bytes of any <see cref="WeightFormat"/>.
/// Quantized formats are addressed by sub-blocks of 32 (Q8_0 and MXFP4: one block; Q4_K: one of the 8 sub-blocks of a
/// super-block, with its own scale and min), so a thread dequantizes a sub-block with one scale lookup.</summary>
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
        SubBlockScale(w, format, rowStart, column / SubBlock, out float scale, out float min);
        return scale * Quant(w, format, rowStart, column / SubBlock, column % SubBlock) - min;
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
        // Q4_K: each 32-byte group of quants holds sub-block 2k in its low nibbles and 2k+1 in its high nibbles.
        byte q = w[rowStart + sub / 8 * 144L + 16 + (sub % 8) / 2 * 32 + lane];
        return (sub & 1) == 0 ? q & 0xF : q >> 4;
    }
}
