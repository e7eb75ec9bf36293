using Hearth.Engine.Structured;
using static Hearth.Engine.Tests.Structured.GrammarKit;

namespace Hearth.Engine.Tests.Structured;

public class GbnfGrammarTests
{
    /// <summary>A llama.cpp-style grammar: a small arithmetic language with comments, classes, groups and repetition.</summary>
    public const string Arithmetic = """
        # expressions like (12+x3)*4
        root   ::= expr
        expr   ::= term (("+" | "-") term){0,3}
        term   ::= factor ("*" factor)?
        factor ::= number | var | "(" expr ")"
        number ::= [1-9] [0-9]{0,2}
        var    ::= [a-z] [0-9]?
        """;

    public static readonly System.Text.RegularExpressions.Regex ArithmeticShape = new("^[0-9a-z()+*-]+$");

    [Theory]
    [InlineData("(12+x3)*4", true)]
    [InlineData("a-b+c-d", true)]
    [InlineData("a-b+c-d+e", false)]
    [InlineData("012", false)]
    [InlineData("(a", false)]
    public void ParsesAndMatchesLlamaCppSyntax(string text, bool expected) =>
        Assert.Equal(expected, Matches(GrammarCache.Get(OutputConstraint.Gbnf(Arithmetic)), text));

    [Fact]
    public void LiteralsClassesAndEscapes()
    {
        var g = GrammarCache.Get(OutputConstraint.Gbnf("root ::= \"say \\\"\" [^\"\\n]+ \"\\\"\" [\\x41-\\x43]"));
        Assert.True(Matches(g, "say \"héllo\"B"));
        Assert.False(Matches(g, "say \"\"B"));
        Assert.False(Matches(g, "say \"x\"D"));
    }

    [Theory]
    [InlineData("root ::= expr\nexpr ::= expr \"+\" \"1\" | \"1\"", "left-recursive")]
    [InlineData("root ::= missing", "missing")]
    [InlineData("start ::= \"a\"", "root")]
    [InlineData("root ::= \"a", "unterminated")]
    [InlineData("root ::= (\"\")*", "left-recursive")]
    public void BadGrammarsAreRefusedWithAReason(string source, string reason)
    {
        var e = Assert.Throws<GrammarException>(() => GrammarCache.Get(OutputConstraint.Gbnf(source)));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void RandomWalksUnderTheGrammarAreSentencesOfIt()
    {
        var g = GrammarCache.Get(OutputConstraint.Gbnf(Arithmetic));
        var trie = SmallVocab("12", "(a", "+b", ")*", "x3");
        var rng = new Random(5);
        for (int i = 0; i < 100; i++)
        {
            var (text, ended) = Walk(g, trie, rng, 200);
            Assert.True(ended);
            Assert.True(Matches(g, text));
            Assert.Matches(ArithmeticShape, text);
        }
    }
}
