using Hearth.Engine.Structured.Harmony;

namespace Hearth.Engine.Tests.Structured;

/// <summary>gpt-oss's harmony answers split into thinking, content and tool calls, whole and streamed (one character
/// at a time and in uneven pieces, which must give the same parts).</summary>
public sealed class HarmonyParserTests
{
    [Fact]
    public void AnalysisIsReasoningAndFinalIsContent()
    {
        var a = Parse("<|channel|>analysis<|message|>User asks 2+2. Answer 4.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>");
        Assert.Equal("User asks 2+2. Answer 4.", a.Reasoning);
        Assert.Equal("2 + 2 = 4.", a.Content);
        Assert.Empty(a.Calls);
    }

    [Fact]
    public void ToolCallOnCommentaryChannelWithConstrain()
    {
        var a = Parse("<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"location\":\"Tokyo\"}<|call|>");
        Assert.Equal("Need weather.", a.Reasoning);
        Assert.Equal("", a.Content);
        var call = Assert.Single(a.Calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("{\"location\":\"Tokyo\"}", call.Arguments);
        Assert.StartsWith("call_", call.Id);
    }

    [Fact]
    public void RecipientInTheRolePartAndSeveralCalls()
    {
        var a = Parse("<|start|>assistant to=functions.a<|channel|>commentary json<|message|>{\"x\":1}<|call|>"
            + "<|start|>assistant<|channel|>commentary to=functions.b<|message|> {} <|call|>");
        Assert.Equal(["a", "b"], a.Calls.Select(c => c.Name));
        Assert.Equal(["{\"x\":1}", "{}"], a.Calls.Select(c => c.Arguments));
        Assert.Equal("", a.Content);
    }

    [Fact]
    public void CommentaryWithoutRecipientIsContentAndTextAfterReturnIsDropped()
    {
        var a = Parse("<|channel|>commentary<|message|>Let me check. <|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>ignored");
        Assert.Equal("", a.Reasoning);
        Assert.Equal("Let me check. Done.", a.Content);
    }

    [Fact]
    public void PlainTextIsContentAndACutAnswerKeepsWhatItHad()
    {
        Assert.Equal(new HarmonyAnswer("", "Hello <|end|> there", []).Content, Parse("Hello <|end|> there").Content);
        var cut = Parse("<|channel|>analysis<|message|>thinking about it");
        Assert.Equal("thinking about it", cut.Reasoning);
        Assert.Equal("", cut.Content);
        var cutCall = Parse("<|channel|>commentary to=functions.f<|message|>{\"a\":");
        Assert.Equal("f", Assert.Single(cutCall.Calls).Name);
        Assert.Equal("{\"a\":", cutCall.Calls[0].Arguments);
    }

    [Fact]
    public void StreamingHoldsPartialMarkersAndNeverLeaksThem()
    {
        const string text = "<|channel|>analysis<|message|>a<b<|end|><|start|>assistant<|channel|>final<|message|>x <| y<|return|>";
        var p = new HarmonyParser();
        var pieces = new List<HarmonyPiece>();
        foreach (char c in text) pieces.Add(p.Push(c.ToString()));
        pieces.Add(p.Finish());
        Assert.Equal("a<b", string.Concat(pieces.Select(x => x.Reasoning)));
        Assert.Equal("x <| y", string.Concat(pieces.Select(x => x.Content)));
        foreach (var marker in (string[])[HarmonyParser.Channel, HarmonyParser.Message, HarmonyParser.End, HarmonyParser.Start, HarmonyParser.Return])
            Assert.DoesNotContain(pieces, x => x.Reasoning.Contains(marker) || x.Content.Contains(marker));
        // The thinking streams before the answer is complete: "a" is out by the time "<|end|>" has fully arrived.
        int endAt = text.IndexOf("<|end|>", StringComparison.Ordinal) + "<|end|>".Length;
        Assert.Equal("a<b", string.Concat(pieces.Take(endAt).Select(x => x.Reasoning)));
    }

    /// <summary>Whole, one character at a time, and in pieces of 3: all three must agree.</summary>
    private static HarmonyAnswer Parse(string text)
    {
        var whole = HarmonyParser.Parse(text);
        foreach (int size in (int[])[1, 3])
        {
            var p = new HarmonyParser();
            string reasoning = "", content = "";
            for (int i = 0; i < text.Length; i += size)
            {
                var piece = p.Push(text.Substring(i, Math.Min(size, text.Length - i)));
                reasoning += piece.Reasoning;
                content += piece.Content;
            }
            var last = p.Finish();
            Assert.Equal(whole.Reasoning, reasoning + last.Reasoning);
            Assert.Equal(whole.Content, content + last.Content);
            Assert.Equal(whole.Calls.Select(c => (c.Name, c.Arguments)), p.Calls.Select(c => (c.Name, c.Arguments)));
        }
        return whole;
    }
}
