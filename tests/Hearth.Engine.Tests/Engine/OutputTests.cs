using System.Text;
using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Engine;

public class OutputTests
{
    private static readonly int A = FakeTokenizer.Id('a');

    private static SamplingParams Successor(int maxTokens) => new() { Temperature = 0, MaxTokens = maxTokens };

    [Fact]
    public void StopStringSplitAcrossTokensIsNeverStreamed()
    {
        // The successor model writes b c d e f …; "cde" spans three tokens.
        var result = RunAlone(Request([A], Successor(10) with { Stop = ["xyz", "cde"] }), successor: true);
        Assert.Equal("b", result.Text);
        Assert.Equal(FinishReason.Stop, result.Last.Finish);
        Assert.Equal("cde", result.Last.StopReason);
        Assert.Equal(["b", "", "", ""], result.Deltas.Select(d => d.Text));
        Assert.Equal(4, result.Last.CompletionTokens);
    }

    [Fact]
    public void HeldBackTextIsReleasedWhenItTurnsOutNotToBeAStop()
    {
        var result = RunAlone(Request([A], Successor(5) with { Stop = ["cdX", "fg"] }), successor: true);
        Assert.Equal(["b", "", "", "cde", "f"], result.Deltas.Select(d => d.Text)); // "cd" held until "e"; "f" held, released at the length limit
        Assert.Equal("bcdef", result.Text);
        Assert.Equal(FinishReason.Length, result.Last.Finish);
        Assert.Null(result.Last.StopReason);
    }

    [Fact]
    public void MultiByteCharactersAreNeverSplit()
    {
        // 28 ' ' → 29, 30 (é) → 31, 32, 33 (€) → 34 'A'.
        var result = RunAlone(Request([28], Successor(6)), successor: true);
        Assert.Equal(["", "é", "", "", "€", "A"], result.Deltas.Select(d => d.Text));
    }

    [Fact]
    public void EndTokenStopTokenIdsMinTokensAndIgnoreEos()
    {
        // 60 '.' → 61 ',' → 62 '!' → 63 '\n' → 0 EOS → 1 …
        var eos = RunAlone(Request([60], Successor(10)), successor: true);
        Assert.Equal(",!\n", eos.Text);
        Assert.Equal(FinishReason.Stop, eos.Last.Finish);
        Assert.Equal(4, eos.Last.CompletionTokens);

        var ignore = RunAlone(Request([60], Successor(6) with { IgnoreEos = true }), successor: true);
        Assert.Equal([61, 62, 63, 0, 1, 2], ignore.Tokens);
        Assert.Equal(FinishReason.Length, ignore.Last.Finish);

        var stopId = RunAlone(Request([60], Successor(10) with { StopTokenIds = [62] }), successor: true);
        Assert.Equal(",", stopId.Text);
        Assert.Equal("62", stopId.Last.StopReason);

        // min_tokens 6 suppresses EOS at step 4: the model's next choice is a noise token, so just check the count.
        var min = RunAlone(Request([60], Successor(8) with { MinTokens = 6 }), successor: true);
        Assert.True(min.Tokens.Count >= 6);
        Assert.DoesNotContain(0, min.Tokens.Take(6));
    }

    [Fact]
    public void UsageAndLogprobsAreReported()
    {
        var result = RunAlone(Request([A, A, A], Successor(3) with { Logprobs = 1 }), successor: true);
        Assert.Equal(3, result.Deltas.Count);
        Assert.All(result.Deltas, d => Assert.Single(d.Logprobs!));
        Assert.Equal(result.Tokens, result.Deltas.Select(d => d.Logprobs![0].TokenId));
        Assert.All(result.Deltas, d => Assert.InRange(d.Logprobs![0].Logprob, -0.01f, 0f)); // +10 bonus: nearly certain
        Assert.Equal((3, 0, 3), (result.Last.PromptTokens, result.Last.CachedPromptTokens, result.Last.CompletionTokens));
        Assert.Null(result.Deltas[0].Finish);
    }

    [Fact]
    public void DetokenizerHoldsPartialCharactersAndStopPrefixes()
    {
        var d = new Detokenizer();
        string[] stops = ["<end>"];
        Assert.Equal("", d.Push([0xE2, 0x82], stops, out _));
        Assert.Equal("€a", d.Push([0xAC, (byte)'a'], stops, out _));
        Assert.Equal("", d.Push("<en"u8, stops, out _));
        Assert.Equal("<enx", d.Push("x"u8, stops, out var none));
        Assert.Null(none);
        Assert.Equal("b", d.Push("b<end>c"u8, stops, out var stop));
        Assert.Equal("<end>", stop);
        var e = new Detokenizer();
        Assert.Equal("", e.Push([0xC3], [], out _));
        Assert.Equal("\uFFFD", e.Flush()); // an unfinished character at the end becomes U+FFFD
        Assert.Equal(2, Detokenizer.LongestSuffixThatPrefixes("xab", "abc"));
        Assert.Equal(0, Detokenizer.LongestSuffixThatPrefixes("abc", "abc")); // a full match is not a prefix
        Assert.Equal("ok", Encoding.UTF8.GetString("ok"u8));
    }

    [Fact]
    public void RequestsTheModelCannotTakeAreRejected()
    {
        var engine = NewEngine(new FakeModel(contextLength: 32));
        var tooLong = Assert.Throws<InvalidRequestException>(() => engine.AddRequest(Request(Prompt(32, 1))));
        Assert.Equal("prompt", tooLong.Param);
        Assert.Equal("prompt", Assert.Throws<InvalidRequestException>(() => engine.AddRequest(Request([]))).Param);
        Assert.Equal("prompt", Assert.Throws<InvalidRequestException>(() => engine.AddRequest(Request([64]))).Param);
        Assert.Equal("temperature", Assert.Throws<InvalidRequestException>(() => engine.AddRequest(Request([2], new SamplingParams { Temperature = -1 }))).Param);
        Assert.Equal("top_p", Assert.Throws<InvalidRequestException>(() => engine.AddRequest(Request([2], new SamplingParams { TopP = 0 }))).Param);
        Assert.Equal("n", Assert.Throws<InvalidRequestException>(() => engine.AddRequest(Request([2], new SamplingParams { N = 0 }))).Param);

        // prompt + max_tokens beyond the context is clamped: 30 + 2 = 32.
        long key = engine.AddRequest(Request(Prompt(30, 1), Greedy(100)));
        var result = RunAll(engine)[key][0];
        Assert.Equal(2, result.Last.CompletionTokens);
        Assert.Equal(FinishReason.Length, result.Last.Finish);
    }
}
