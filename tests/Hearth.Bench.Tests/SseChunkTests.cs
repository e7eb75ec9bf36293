using Hearth.Bench.Client;

namespace Hearth.Bench.Tests;

public class SseChunkTests
{
    [Fact]
    public void ChatChunks()
    {
        Assert.False(SseChunk.Parse("""{"choices":[{"delta":{"role":"assistant","content":""}}]}""", EndpointKind.Chat).HasContent);
        Assert.True(SseChunk.Parse("""{"choices":[{"delta":{"content":"hi"}}]}""", EndpointKind.Chat).HasContent);
        Assert.True(SseChunk.Parse("""{"choices":[{"delta":{"reasoning_content":"hmm"}}]}""", EndpointKind.Chat).HasContent);
        Assert.False(SseChunk.Parse("""{"choices":[{"delta":{},"finish_reason":"length"}]}""", EndpointKind.Chat).HasContent);
        var usage = SseChunk.Parse("""{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34}}""", EndpointKind.Chat);
        Assert.Equal((false, 12, 34), (usage.HasContent, usage.PromptTokens, usage.CompletionTokens));
        Assert.Null(SseChunk.Parse("""{"choices":[{"delta":{"content":"x"}}],"usage":null}""", EndpointKind.Chat).CompletionTokens);
    }

    [Fact]
    public void CompletionChunksAndErrors()
    {
        Assert.True(SseChunk.Parse("""{"choices":[{"text":" a"}]}""", EndpointKind.Completions).HasContent);
        Assert.False(SseChunk.Parse("""{"choices":[{"text":""}]}""", EndpointKind.Completions).HasContent);
        Assert.Equal("stream error: out of memory", SseChunk.Parse("""{"error":{"message":"out of memory"}}""", EndpointKind.Chat).Error);
    }

    [Fact]
    public void EndpointUrlsAcceptBaseWithOrWithoutV1()
    {
        Assert.Equal("http://h:1/v1/chat/completions", new Target("A", new Uri("http://h:1"), "m").EndpointUrl(EndpointKind.Chat).ToString());
        Assert.Equal("http://h:1/v1/completions", new Target("A", new Uri("http://h:1/v1/"), "m").EndpointUrl(EndpointKind.Completions).ToString());
        Assert.False(Target.TryParseUrl("ftp://h/", out _));
        Assert.False(Target.TryParseUrl("not a url", out _));
    }
}
