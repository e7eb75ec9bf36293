using System.Text;
using Hearth.Engine.Structured;

namespace Hearth.Engine.Tests.Structured;

/// <summary>The mask shortcut inside character loops (JSON strings, regex [..]*: tokens made only of the loop's
/// characters are allowed without a walk) gives exactly the mask a token-by-token check gives, at every step of
/// seeded random walks through grammars with UTF-8 and byte loops, escapes, loops that end in a continuation, and
/// bounded runs (the walk's run states), also with a nested run opened under every node that leaves one.</summary>
public class LoopMaskTests
{
    private static readonly string[] Pieces =
    [
        .. GrammarKit.JsonPieces, "abc\"", "ab\"}", "x\\\"y", "hello world", "\"\n", "é\"", "日", "\u00e9t\u00e9", "aaaa", "zz9", "..", "a.b",
    ];

    public static TheoryData<string, bool> Constraints => new()
    {
        { """{"type":"object","properties":{"name":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"n":{"type":"integer"}},"required":["name","tags","n"]}""", false },
        { """{"type":"object","properties":{"name":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"n":{"type":"integer"}},"required":["name","tags","n"]}""", true },
        { """{"type":"array","items":{"anyOf":[{"type":"string"},{"type":"string","enum":["abc","ab"]}]}}""", false },
        { """{"type":"array","items":{"anyOf":[{"type":"string"},{"type":"string","enum":["abc","ab"]}]}}""", true },
        { "regex:[a-z]*\\.[a-z0-9]+(\"|x)*", false },
        { "regex:[a-z]*\\.[a-z0-9]+(\"|x)*", true },
        { "regex:(ab|[a-c]*)c[^\"]*\"", false },
        { "regex:(ab|[a-c]*)c[^\"]*\"", true },
        // Bounded runs (formats, maxLength): the state after d bytes of the run is computed once per mask.
        { """{"type":"object","properties":{"e":{"type":"string","format":"email"},"s":{"type":"string","maxLength":3}},"required":["e","s"]}""", false },
        { """{"type":"object","properties":{"e":{"type":"string","format":"email"},"s":{"type":"string","maxLength":3}},"required":["e","s"]}""", true },
        { "regex:[a-z0-9]{1,5}(\\.[a-z]{1,3})?@[a-c]{2,3}[a-z]{0,2}", false },
        { "regex:[a-z0-9]{1,5}(\\.[a-z]{1,3})?@[a-c]{2,3}[a-z]{0,2}", true },
    };

    [Theory]
    [MemberData(nameof(Constraints))]
    public void MaskEqualsATokenByTokenCheck(string constraint, bool nestedRunsEverywhere)
    {
        var g = constraint.StartsWith("regex:", StringComparison.Ordinal)
            ? GrammarCache.Get(OutputConstraint.Pattern(constraint["regex:".Length..]))
            : GrammarCache.Get(OutputConstraint.Schema(constraint));
        var trie = GrammarKit.SmallVocab(Pieces);
        var rng = new Random(11);
        var mask = new ulong[(trie.VocabSize + 63) / 64];
        int steps = 0;
        for (int walk = 0; walk < 6; walk++)
        {
            var prefix = new List<byte>();
            var m = new PushdownMatcher(g) { NestedRunMinSubtree = nestedRunsEverywhere ? 0 : 512 };
            for (int step = 0; step < 30 && !m.IsTerminated; step++, steps++)
            {
                m.FillMask(trie, mask);
                var allowed = new List<int>();
                for (int t = 0; t < trie.VocabSize; t++)
                {
                    var bytes = trie.TokenBytes(t);
                    bool expected = false;
                    if (bytes.Length > 0)
                    {
                        var check = new PushdownMatcher(g);
                        Assert.True(check.TryAdvance(prefix.ToArray()));
                        expected = check.TryAdvance(bytes);
                    }
                    bool actual = (mask[t >> 6] >> (t & 63) & 1) != 0;
                    Assert.True(expected == actual, $"token {t} '{Encoding.UTF8.GetString(bytes)}' after '{Encoding.UTF8.GetString(prefix.ToArray())}': mask {actual}, check {expected}");
                    if (actual) allowed.Add(t);
                }
                if (allowed.Count == 0) break;
                int pick = allowed[rng.Next(allowed.Count)];
                Assert.True(m.TryAdvance(trie.TokenBytes(pick)));
                prefix.AddRange(trie.TokenBytes(pick).ToArray());
            }
        }
        Assert.True(steps > 30);
        if (!constraint.Contains("{1,5}", StringComparison.Ordinal) && !constraint.Contains("email", StringComparison.Ordinal))
            Assert.True(trie.ClassSplits > 0, "the loop shortcut never ran");
    }
}
