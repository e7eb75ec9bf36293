namespace Hearth.Core.Tokenizers;

/// <summary>Code points that .NET's Unicode 16 tables classify as marks, punctuation or format characters but that
/// llama.cpp's Unicode 15.1 tables leave unassigned (so its WordPiece neither strips nor splits them: they stay
/// inside their word). Letters added in Unicode 16 behave the same under both tables and are not listed.
/// Found by running every code point from U+0080 to U+1FFFF through llama.cpp's tokenizer
/// (tests/fixtures/embeddings/wordpiece-bge-stress.json keeps the cases).</summary>
internal static class UnicodeVersionGap
{
    // Inclusive ranges, sorted.
    private static readonly (int First, int Last)[] Ranges =
    [
        (0x0897, 0x0897), (0x1B4E, 0x1B4F), (0x1B7F, 0x1B7F), (0x10D69, 0x10D6E), (0x10EFC, 0x10EFC),
        (0x113B8, 0x113C0), (0x113C2, 0x113C2), (0x113C5, 0x113C5), (0x113C7, 0x113CA), (0x113CC, 0x113D0),
        (0x113D2, 0x113D2), (0x113D4, 0x113D5), (0x113D7, 0x113D8), (0x113E1, 0x113E2), (0x11BE1, 0x11BE1),
        (0x11F5A, 0x11F5A), (0x1611E, 0x1612F), (0x16D6D, 0x16D6F), (0x1E5EE, 0x1E5EF), (0x1E5FF, 0x1E5FF),
    ];

    /// <summary>True when llama.cpp's tables treat <paramref name="codePoint"/> as unassigned although .NET's do not.</summary>
    public static bool UnassignedForLlamaCpp(int codePoint)
    {
        if (codePoint < 0x0897) return false;
        int lo = 0, hi = Ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (codePoint < Ranges[mid].First) hi = mid - 1;
            else if (codePoint > Ranges[mid].Last) lo = mid + 1;
            else return true;
        }
        return false;
    }
}
