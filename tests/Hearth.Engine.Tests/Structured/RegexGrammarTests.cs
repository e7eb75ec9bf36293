using Hearth.Engine.Structured;
using static Hearth.Engine.Tests.Structured.GrammarKit;

namespace Hearth.Engine.Tests.Structured;

public class RegexGrammarTests
{
    [Theory]
    [InlineData("[a-c]{2,3}", "ab", true)]
    [InlineData("[a-c]{2,3}", "abca", false)]
    [InlineData("[a-c]{2,3}", "a", false)]
    [InlineData("^(cat|car|dog)s?$", "cars", true)]
    [InlineData("^(cat|car|dog)s?$", "ca", false)]
    [InlineData("\\d{3}-\\d{4}", "555-1234", true)]
    [InlineData("\\d{3}-\\d{4}", "55-1234", false)]
    [InlineData("[^a-z]+", "ABC日本", true)]
    [InlineData("[^a-z]+", "ABc", false)]
    [InlineData("(?:ab)*c", "ababc", true)]
    [InlineData("a.c", "a日c", true)]
    [InlineData("a.c", "a\nc", false)]
    [InlineData("[α-ω]+", "λόγος", false)]
    [InlineData("[α-ω]+", "λογοσ", true)]
    [InlineData("x\\u00e9y", "xéy", true)]
    public void RegexMatchesExactlyItsLanguage(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Matches(GrammarCache.Get(OutputConstraint.Pattern(pattern)), text));

    [Theory]
    [InlineData("(a)\\1")]
    [InlineData("(?=a)b")]
    [InlineData("\\bword")]
    [InlineData("a{5,2}")]
    [InlineData("(ab")]
    public void UnsupportedRegexIsAGrammarError(string pattern) =>
        Assert.Throws<GrammarException>(() => GrammarCache.Get(OutputConstraint.Pattern(pattern)));

    [Fact]
    public void RandomWalksUnderARegexAlwaysMatchIt()
    {
        var regex = new System.Text.RegularExpressions.Regex("^[A-Z][a-z]{1,6}-\\d{2,4}(\\.[a-f]+)?$");
        var g = GrammarCache.Get(OutputConstraint.Pattern("[A-Z][a-z]{1,6}-\\d{2,4}(\\.[a-f]+)?"));
        var trie = SmallVocab("Ab", "cd-", "12", "345", ".ab", "fe");
        var rng = new Random(7);
        int ended = 0;
        for (int i = 0; i < 200; i++)
        {
            var (text, done) = Walk(g, trie, rng, 64);
            if (!done) continue;
            ended++;
            Assert.Matches(regex, text);
        }
        Assert.True(ended > 150, $"only {ended} walks ended");
    }

    [Fact]
    public void ChoiceAllowsExactlyTheOptionsAndEndsAfterOne()
    {
        var g = GrammarCache.Get(OutputConstraint.OneOf(["yes", "no", "maybe \"so\""]));
        Assert.True(Matches(g, "yes"));
        Assert.True(Matches(g, "maybe \"so\""));
        Assert.False(Matches(g, "ye"));
        Assert.False(Matches(g, "yesno"));
        var trie = SmallVocab("yes", "no", "may");
        var rng = new Random(1);
        for (int i = 0; i < 50; i++)
        {
            var (text, done) = Walk(g, trie, rng, 32);
            Assert.True(done);
            Assert.Contains(text, new[] { "yes", "no", "maybe \"so\"" });
        }
    }
}
