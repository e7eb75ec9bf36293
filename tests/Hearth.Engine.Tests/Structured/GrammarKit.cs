using System.Text;
using Hearth.Engine.Structured;

namespace Hearth.Engine.Tests.Structured;

/// <summary>Helpers for grammar tests: full-string matching, a small vocabulary, and seeded random walks that pick
/// uniformly among the tokens a grammar allows (noise that only the grammar can make valid).</summary>
internal static class GrammarKit
{
    public const int EndToken = 0;

    public static bool Matches(Grammar g, string text)
    {
        var m = new PushdownMatcher(g);
        return m.TryAdvance(Encoding.UTF8.GetBytes(text)) && m.IsAccepting;
    }

    /// <summary>Token 0 is the end token; then every single byte; then multi-byte pieces.</summary>
    public static TokenTrie SmallVocab(params string[] pieces)
    {
        var all = new List<byte[]> { Array.Empty<byte>() };
        for (int b = 0; b < 256; b++) all.Add([(byte)b]);
        foreach (var p in pieces) all.Add(Encoding.UTF8.GetBytes(p));
        return TokenTrie.Build(all.Count, i => all[i], i => i == EndToken);
    }

    public static readonly string[] JsonPieces =
    [
        "{\"", "\":", "\": ", "\",", "\"}", "\"]", "[\"", "true", "false", "null", "  ", "\n", "\n  ", "name", "id", "12", "3.5",
        "abc", " the", "\\n", "\\\"", "é", "日本", "},", "}]", "]}", ", \"", "-1", "e+5",
    ];

    /// <summary>A random walk: each step picks uniformly among allowed tokens. Returns the text and whether an end token came.</summary>
    public static (string Text, bool Ended) Walk(Grammar g, TokenTrie trie, Random rng, int maxTokens)
    {
        var matcher = new GrammarMatcher(g, trie);
        var mask = new ulong[matcher.MaskWords];
        var bytes = new List<byte>();
        var allowed = new List<int>();
        for (int step = 0; step < maxTokens; step++)
        {
            matcher.FillMask(mask);
            allowed.Clear();
            for (int t = 0; t < trie.VocabSize; t++)
                if ((mask[t >> 6] >> (t & 63) & 1) != 0) allowed.Add(t);
            Assert.NotEmpty(allowed);
            int pick = allowed[rng.Next(allowed.Count)];
            Assert.True(matcher.TryAccept(pick), $"token {pick} was allowed but rejected");
            if (matcher.IsFinished) return (Encoding.UTF8.GetString(bytes.ToArray()), true);
            bytes.AddRange(trie.TokenBytes(pick).ToArray());
        }
        return (Encoding.UTF8.GetString(bytes.ToArray()), false);
    }
}
