namespace Hearth.Engine.Structured.Text;

/// <summary>Turns code point ranges into byte-level grammar nodes: each range splits into runs whose UTF-8 encodings
/// vary independently per byte (the classic UTF-8 range splitting), so "[α-ω]" becomes a few byte-set sequences.
/// Surrogates (not scalar values) are never produced.</summary>
internal static class Utf8Ranges
{
    public static GrammarNode Node(CodePointSet set)
    {
        if (CoversNonAscii(set)) return new GrammarNode.AnyChar(AsciiPart(set));
        var ascii = ByteSet.Empty;
        var options = new List<GrammarNode>();
        foreach (var (lo, hi) in set.Ranges) Split(lo, hi, ref ascii, options);
        if (!ascii.IsEmpty) options.Insert(0, GrammarNode.Set(ascii));
        if (options.Count == 0) throw new GrammarException("a character class matches nothing");
        return GrammarNode.Choice(options);
    }

    /// <summary>Whether every scalar value from U+0080 up is in the set (then one decoder element serves it).</summary>
    private static bool CoversNonAscii(CodePointSet set)
    {
        int next = 0x80;
        foreach (var (lo, hi) in set.Ranges)
        {
            if (hi < next) continue;
            if (lo > next) return false;
            next = hi + 1;
            if (next == 0xD800) next = 0xE000; // surrogates are not scalar values
        }
        return next > CodePointSet.MaxCodePoint;
    }

    private static ByteSet AsciiPart(CodePointSet set)
    {
        var ascii = ByteSet.Empty;
        foreach (var (lo, hi) in set.Ranges)
            if (lo < 0x80) ascii |= ByteSet.Range(lo, Math.Min(hi, 0x7F));
        return ascii;
    }

    private static void Split(int lo, int hi, ref ByteSet ascii, List<GrammarNode> options)
    {
        if (lo > hi) return;
        if (lo <= 0xDFFF && hi >= 0xD800)
        {
            Split(lo, 0xD7FF, ref ascii, options);
            Split(0xE000, hi, ref ascii, options);
            return;
        }
        foreach (int max in (ReadOnlySpan<int>)[0x7F, 0x7FF, 0xFFFF])
        {
            if (lo <= max && hi > max)
            {
                Split(lo, max, ref ascii, options);
                Split(max + 1, hi, ref ascii, options);
                return;
            }
        }
        if (hi <= 0x7F)
        {
            ascii |= ByteSet.Range(lo, hi);
            return;
        }
        int n = Length(lo);
        for (int i = 1; i < n; i++)
        {
            int m = (1 << (6 * i)) - 1;
            if ((lo & ~m) == (hi & ~m)) continue;
            if ((lo & m) != 0)
            {
                Split(lo, lo | m, ref ascii, options);
                Split((lo | m) + 1, hi, ref ascii, options);
                return;
            }
            if ((hi & m) != m)
            {
                Split(lo, (hi & ~m) - 1, ref ascii, options);
                Split(hi & ~m, hi, ref ascii, options);
                return;
            }
        }
        Span<byte> a = stackalloc byte[4], b = stackalloc byte[4];
        Encode(lo, a);
        Encode(hi, b);
        var items = new GrammarNode[n];
        for (int k = 0; k < n; k++) items[k] = GrammarNode.Set(ByteSet.Range(a[k], b[k]));
        options.Add(new GrammarNode.Seq(items));
    }

    private static int Length(int c) => c <= 0x7F ? 1 : c <= 0x7FF ? 2 : c <= 0xFFFF ? 3 : 4;

    private static void Encode(int c, Span<byte> into) => new System.Text.Rune(c).EncodeToUtf8(into);
}
