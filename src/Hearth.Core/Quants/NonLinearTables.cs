namespace Hearth.Core.Quants;

/// <summary>The value tables of ggml's non-linear 4-bit formats: a 4-bit index picks an int8 value that the block
/// scale multiplies. IQ4_NL and IQ4_XS share one table; MXFP4's holds the E2M1 values doubled (its scale is halved
/// to match, see <see cref="MXFP4.Scale"/>).</summary>
public static class NonLinearTables
{
    /// <summary>IQ4_NL / IQ4_XS values (ggml's kvalues_iq4nl).</summary>
    public static ReadOnlySpan<sbyte> Iq4 => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>MXFP4 values: E2M1 (0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives) times 2 (ggml's kvalues_mxfp4).</summary>
    public static ReadOnlySpan<sbyte> Mxfp4 => [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

    /// <summary>The index whose value times <paramref name="scale"/> is nearest <paramref name="x"/> (the lowest index on a
    /// tie), as a scan of all 16 would find it, but from the few entries around x/scale in value order (quantizers run
    /// this for every weight of a model).</summary>
    internal static int Nearest(ReadOnlySpan<sbyte> table, float x, float scale)
    {
        ReadOnlySpan<byte> order = table[1] == -104 ? Iq4Order : Mxfp4Order;
        if (scale == 0 || !float.IsFinite(x / scale)) return ScanNearest(table, x, scale);
        float v = x / scale;
        int lo = 0, hi = order.Length; // first position whose value is ≥ v
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (table[order[mid]] < v) lo = mid + 1; else hi = mid;
        }
        int best = -1;
        float bestErr = float.MaxValue;
        for (int p = Math.Max(0, lo - 2); p < Math.Min(order.Length, lo + 2); p++)
        {
            int i = order[p];
            float err = MathF.Abs(x - scale * table[i]);
            if (err < bestErr || (err == bestErr && i < best)) { bestErr = err; best = i; }
        }
        return best;
    }

    private static int ScanNearest(ReadOnlySpan<sbyte> table, float x, float scale)
    {
        int best = 0;
        float bestErr = float.MaxValue;
        for (int i = 0; i < table.Length; i++)
        {
            float err = MathF.Abs(x - scale * table[i]);
            if (err < bestErr) { bestErr = err; best = i; }
        }
        return best;
    }

    // Indexes in ascending order of value (lowest index first among equal values: MXFP4's two zeros).
    private static ReadOnlySpan<byte> Iq4Order => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    private static ReadOnlySpan<byte> Mxfp4Order => [15, 14, 13, 12, 11, 10, 9, 0, 8, 1, 2, 3, 4, 5, 6, 7];

    /// <summary>Quantizes 32 values against a table under one scale: value j's index in the low nibble of qs[j],
    /// value j + 16's in the high nibble (the layout all three formats use).</summary>
    internal static void PackNibbles(ReadOnlySpan<sbyte> table, ReadOnlySpan<float> x, float scale, Span<byte> qs)
    {
        for (int j = 0; j < 16; j++)
            qs[j] = (byte)(Nearest(table, x[j], scale) | Nearest(table, x[j + 16], scale) << 4);
    }

    /// <summary>Dequantizes 32 values packed as <see cref="PackNibbles"/> writes them.</summary>
    internal static void UnpackNibbles(ReadOnlySpan<sbyte> table, ReadOnlySpan<byte> qs, float scale, Span<float> y)
    {
        for (int j = 0; j < 16; j++)
        {
            y[j] = scale * table[qs[j] & 0xF];
            y[j + 16] = scale * table[qs[j] >> 4];
        }
    }

    /// <summary>The value of largest magnitude in <paramref name="x"/> (its sign kept).</summary>
    internal static float SignedMax(ReadOnlySpan<float> x)
    {
        float max = 0, amax = 0;
        foreach (float v in x)
            if (MathF.Abs(v) > amax) { amax = MathF.Abs(v); max = v; }
        return max;
    }
}
