using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Hearth.Core.Tokenizers;

/// <summary>Splits text into words before byte-level BPE, reproducing llama.cpp's regex splitting exactly.
/// llama.cpp runs patterns over a "collapsed" text with one unit per code point: when a pattern uses
/// \p{..} classes, every non-ASCII code point becomes one stand-in character for its category (letter,
/// number, punctuation, mark, symbol, whitespace, other) and the classes are rewritten to match those
/// stand-ins plus their ASCII members; otherwise code points are matched as themselves. Doing the same here
/// gives the same pieces (including llama.cpp's quirks, e.g. '~' counts as neither \p{P} nor \p{S}) and
/// lets .NET's Regex run on UTF-16 without surrogate pairs. Categories are .NET's (Unicode 16) except for the code
/// points llama.cpp's Unicode 15.1 tables leave unassigned (<see cref="UnicodeVersionGap"/>): "other" there too. Thread-safe.</summary>
internal sealed class PreTokenizer
{
    private const char Letter = '\u00D2', Number = '\u00D1', Punct = '\u00D3', Mark = '\u00D4', Symbol = '\u00D5', Other = '\u00D0';
    private const char Space = '\u000B';
    private const char SupplementaryIn = '\uE000', SupplementaryOut = '\uE001', PrivateUse = '\uE002';

    private static readonly ConcurrentDictionary<string, PreTokenizer?> Cache = new(StringComparer.Ordinal);

    private readonly (Regex Regex, bool Categories)[] _rules;

    private PreTokenizer(string[] patterns)
    {
        _rules = patterns.Select(p =>
        {
            bool categories = p.Contains(@"\p{", StringComparison.Ordinal);
            string pattern = categories ? CollapseCategories(p) : p;
            return (new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), categories);
        }).ToArray();
    }

    /// <summary>The pre-tokenizer for a <c>tokenizer.ggml.pre</c> name, or null when the name is not supported.</summary>
    public static PreTokenizer? For(string pre) =>
        Cache.GetOrAdd(pre, static name => PreTokenizerPatterns.For(name) is { } p ? new PreTokenizer(p) : null);

    /// <summary>Appends the pieces of text as (start, length) in UTF-16 units of text.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> output)
    {
        if (text.IsEmpty)
            return;
        bool surrogates = text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;
        var codePoints = surrogates ? DecodeCodePoints(text) : null;
        int n = codePoints?.Length ?? text.Length;

        char[]? categories = null, raw = null;
        var pieces = new List<(int, int)> { (0, n) };
        var next = new List<(int, int)>();
        try
        {
            foreach (var (regex, useCategories) in _rules)
            {
                char[] units = useCategories
                    ? categories ??= Collapse(text, codePoints, n, categories: true)
                    : raw ??= Collapse(text, codePoints, n, categories: false);
                next.Clear();
                foreach (var (start, length) in pieces)
                {
                    int last = 0;
                    foreach (var m in regex.EnumerateMatches(units.AsSpan(start, length)))
                    {
                        if (m.Length == 0)
                            continue;
                        if (m.Index > last)
                            next.Add((start + last, m.Index - last));
                        next.Add((start + m.Index, m.Length));
                        last = m.Index + m.Length;
                    }
                    if (last < length)
                        next.Add((start + last, length - last));
                }
                (pieces, next) = (next, pieces);
            }
        }
        finally
        {
            if (categories != null) ArrayPool<char>.Shared.Return(categories);
            if (raw != null) ArrayPool<char>.Shared.Return(raw);
        }

        if (codePoints is null)
        {
            output.AddRange(pieces);
            return;
        }
        // Map code point positions back to UTF-16 positions.
        var offsets = new int[n + 1];
        for (int i = 0; i < n; i++)
            offsets[i + 1] = offsets[i] + (codePoints[i] > 0xFFFF ? 2 : 1);
        foreach (var (start, length) in pieces)
            output.Add((offsets[start], offsets[start + length] - offsets[start]));
    }

    private static int[] DecodeCodePoints(ReadOnlySpan<char> text)
    {
        var list = new List<int>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                list.Add(char.ConvertToUtf32(c, text[i + 1]));
                i++;
            }
            else
            {
                list.Add(char.IsSurrogate(c) ? 0xFFFD : c); // a lone surrogate is invalid text
            }
        }
        return list.ToArray();
    }

    private static char[] Collapse(ReadOnlySpan<char> text, int[]? codePoints, int n, bool categories)
    {
        var units = ArrayPool<char>.Shared.Rent(n);
        for (int i = 0; i < n; i++)
        {
            int cp = codePoints?[i] ?? text[i];
            if (cp < 0x80)
                units[i] = (char)cp;
            else if (IsUnicodeWhitespace(cp))
                units[i] = Space; // as llama.cpp: std::regex's \s only knows ASCII whitespace
            else if (categories)
                units[i] = CategoryUnit(cp);
            else if (cp > 0xFFFF)
                units[i] = InRanges(cp, PreTokenizerPatterns.DeepSeekSupplementaryLetters) ? SupplementaryIn : SupplementaryOut;
            else if (cp is >= SupplementaryIn and <= SupplementaryOut || char.IsSurrogate((char)cp))
                units[i] = PrivateUse;
            else
                units[i] = (char)cp;
        }
        return units;
    }

    private static bool InRanges(int cp, (int First, int Last)[] ranges)
    {
        foreach (var (first, last) in ranges)
            if (cp >= first && cp <= last) return true;
        return false;
    }

    /// <summary>The Unicode White_Space property (what llama.cpp's tables call whitespace).</summary>
    public static bool IsUnicodeWhitespace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    private static char CategoryUnit(int cp) => UnicodeVersionGap.UnassignedForLlamaCpp(cp) ? Other : CharUnicodeInfo.GetUnicodeCategory(cp) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => Punct,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => Mark,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol => Symbol,
        _ => Other,
    };

    /// <summary>Rewrites \p{L} \p{N} \p{P} \p{M} \p{S} (and the letter subclasses) to classes over the stand-in
    /// unit plus the ASCII members of the category, as llama.cpp does.</summary>
    internal static string CollapseCategories(string pattern)
    {
        var sb = new StringBuilder(pattern.Length * 2);
        bool inside = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '[' && (i == 0 || pattern[i - 1] != '\\'))
                inside = true;
            else if (inside && c == ']' && pattern[i - 1] != '\\')
                inside = false;
            else if (c == '\\' && i + 3 < pattern.Length && pattern[i + 1] == 'p' && pattern[i + 2] == '{')
            {
                int close = pattern.IndexOf('}', i + 3);
                string? members = close < 0 ? null : pattern[(i + 3)..close] switch
                {
                    "N" => Number + "0-9",
                    "L" or "Lu" or "Ll" or "Lt" or "Lm" or "Lo" => Letter + "A-Za-z",
                    "P" => Punct + @"!-#%-*,-/:-;?-@\[-\]_\{\}",
                    "M" => Mark.ToString(),
                    "S" => Symbol + @"\$\+<->\^`\|",
                    _ => null,
                };
                if (members != null)
                {
                    sb.Append(inside ? members : "[" + members + "]");
                    i = close;
                    continue;
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
