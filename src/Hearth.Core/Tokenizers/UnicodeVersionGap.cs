namespace Hearth.Core.Tokenizers;

/// <summary>Code points that .NET's Unicode 16 tables assign (letters, marks, numbers, punctuation, symbols) but that
/// llama.cpp's Unicode 15.1 tables (src/unicode-data.cpp) leave unassigned: llama.cpp gives them no category, so its
/// pre-tokenizer regexes see them as "other" (not \p{L}, \p{N}, \p{P}, ...) and its WordPiece neither strips, splits
/// nor lower-cases them. Made by comparing both tables over every code point (all other assigned code points agree
/// on category, White_Space, control and NFD base); tests/fixtures/embeddings/wordpiece-bge-stress.json and
/// tests/fixtures/vocab-extra keep cases that llama.cpp tokenized.</summary>
internal static class UnicodeVersionGap
{
    // Inclusive ranges, sorted.
    private static readonly (int First, int Last)[] Ranges =
    [
        (0x0897, 0x0897), (0x1B4E, 0x1B4F), (0x1B7F, 0x1B7F), (0x1C89, 0x1C8A), (0x2427, 0x2429),
        (0x31E4, 0x31E5), (0xA7CB, 0xA7CD), (0xA7DA, 0xA7DC), (0x105C0, 0x105F3), (0x10D40, 0x10D65),
        (0x10D69, 0x10D85), (0x10D8E, 0x10D8F), (0x10EC2, 0x10EC4), (0x10EFC, 0x10EFC), (0x11380, 0x11389),
        (0x1138B, 0x1138B), (0x1138E, 0x1138E), (0x11390, 0x113B5), (0x113B7, 0x113C0), (0x113C2, 0x113C2),
        (0x113C5, 0x113C5), (0x113C7, 0x113CA), (0x113CC, 0x113D5), (0x113D7, 0x113D8), (0x113E1, 0x113E2),
        (0x116D0, 0x116E3), (0x11BC0, 0x11BE1), (0x11BF0, 0x11BF9), (0x11F5A, 0x11F5A), (0x13460, 0x143FA),
        (0x16100, 0x16139), (0x16D40, 0x16D79), (0x18CFF, 0x18CFF), (0x1CC00, 0x1CCF9), (0x1CD00, 0x1CEB3),
        (0x1E5D0, 0x1E5FA), (0x1E5FF, 0x1E5FF), (0x1F8B2, 0x1F8BB), (0x1F8C0, 0x1F8C1), (0x1FA89, 0x1FA89),
        (0x1FA8F, 0x1FA8F), (0x1FABE, 0x1FABE), (0x1FAC6, 0x1FAC6), (0x1FADC, 0x1FADC), (0x1FADF, 0x1FADF),
        (0x1FAE9, 0x1FAE9), (0x1FBCB, 0x1FBEF),
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
