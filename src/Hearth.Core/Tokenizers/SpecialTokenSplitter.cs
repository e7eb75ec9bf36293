using System.Buffers;

namespace Hearth.Core.Tokenizers;

/// <summary>A piece of input: either raw text [Start, Start+Length) or one special token (TokenId &gt;= 0).</summary>
internal readonly record struct Fragment(int TokenId, int Start, int Length)
{
    public bool IsText => TokenId < 0;
}

/// <summary>Splits input text around special tokens written in it, the way llama.cpp does: special tokens are
/// taken longest first, each one splitting every remaining text fragment at all of its occurrences.
/// Control and unknown tokens take part only when parse_special is on; user-defined tokens always do.</summary>
internal sealed class SpecialTokenSplitter
{
    private readonly Vocabulary _vocab;
    private readonly Matcher? _withControl;
    private readonly Matcher? _userOnly;

    public SpecialTokenSplitter(Vocabulary vocab)
    {
        _vocab = vocab;
        _withControl = Matcher.Create(vocab, vocab.SpecialTokens);
        _userOnly = Matcher.Create(vocab, vocab.SpecialTokens
            .Where(id => !vocab.Has(id, TokenAttributes.Control | TokenAttributes.Unknown)).ToArray());
    }

    public List<Fragment> Split(string text, bool parseSpecial)
    {
        var fragments = new List<Fragment>();
        if (text.Length == 0)
            return fragments;
        fragments.Add(new Fragment(-1, 0, text.Length));
        var matcher = parseSpecial ? _withControl : _userOnly;
        if (matcher is null)
            return fragments;

        foreach (int id in matcher.PresentIn(text))
            fragments = SplitOn(text, fragments, id);
        return fragments;
    }

    private List<Fragment> SplitOn(string text, List<Fragment> fragments, int id)
    {
        string token = _vocab.Tokens[id];
        var attr = _vocab.Attributes[id];
        var result = new List<Fragment>(fragments.Count + 2);
        foreach (var f in fragments)
        {
            if (!f.IsText)
            {
                result.Add(f);
                continue;
            }
            int pos = f.Start, end = f.Start + f.Length;
            while (pos < end)
            {
                int m = text.IndexOf(token, pos, end - pos, StringComparison.Ordinal);
                if (m < 0)
                {
                    result.Add(new Fragment(-1, pos, end - pos));
                    break;
                }
                int leftEnd = m;
                if ((attr & TokenAttributes.LStrip) != 0)
                    while (leftEnd > pos && IsAsciiSpace(text[leftEnd - 1])) leftEnd--;
                if (leftEnd > pos)
                    result.Add(new Fragment(-1, pos, leftEnd - pos));
                result.Add(new Fragment(id, m, token.Length));
                pos = m + token.Length;
                if ((attr & TokenAttributes.RStrip) != 0)
                    while (pos < end && IsAsciiSpace(text[pos])) pos++;
            }
        }
        return result;
    }

    // C isspace() in the "C" locale, which llama.cpp uses for lstrip/rstrip.
    private static bool IsAsciiSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>Finds, in one pass, which of a set of special tokens occur in a text at all, so that the
    /// ordered splitting only runs for those (vocabularies can have thousands of user-defined tokens).</summary>
    private sealed class Matcher
    {
        private readonly int[] _ordered;
        private readonly SearchValues<string> _search;
        private readonly Dictionary<char, int[]> _byFirstChar;
        private readonly Vocabulary _vocab;

        private Matcher(Vocabulary vocab, int[] ordered)
        {
            _vocab = vocab;
            _ordered = ordered;
            _search = SearchValues.Create(ordered.Select(id => vocab.Tokens[id]).Distinct().ToArray(), StringComparison.Ordinal);
            _byFirstChar = ordered.GroupBy(id => vocab.Tokens[id][0]).ToDictionary(g => g.Key, g => g.ToArray());
        }

        public static Matcher? Create(Vocabulary vocab, int[] ordered) => ordered.Length == 0 ? null : new Matcher(vocab, ordered);

        /// <summary>The tokens occurring in text, in splitting order.</summary>
        public IEnumerable<int> PresentIn(string text)
        {
            HashSet<int>? present = null;
            var span = text.AsSpan();
            int pos = 0;
            while (pos < span.Length)
            {
                int hit = span[pos..].IndexOfAny(_search);
                if (hit < 0)
                    break;
                pos += hit;
                foreach (int id in _byFirstChar[span[pos]])
                    if (span[pos..].StartsWith(_vocab.Tokens[id], StringComparison.Ordinal))
                        (present ??= []).Add(id);
                pos++;
            }
            if (present is null)
                return [];
            return _ordered.Where(present.Contains);
        }
    }
}
