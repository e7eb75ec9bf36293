using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace Hearth.Server.Tests;

/// <summary>The official OpenAI .NET SDK against the server over real HTTP.</summary>
public sealed class OpenAiSdkTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestHost Host => fixture.Host;
    private OpenAIClientOptions Options => new() { Endpoint = new Uri(Host.BaseAddress, "v1"), NetworkTimeout = TimeSpan.FromSeconds(20) };
    private ChatClient Chat(string model = "fake") => new(model, new ApiKeyCredential("unused"), Options);

    [Fact]
    public async Task ChatCompletion_ReturnsScriptedTextAndUsage()
    {
        ChatCompletion c = await Chat().CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Tell a story")]);
        Assert.Equal("Once upon a time.", c.Content.Single().Text);
        Assert.Equal(ChatFinishReason.Stop, c.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, c.Role);
        Assert.Equal("fake:latest", c.Model);
        Assert.StartsWith("chatcmpl-", c.Id);
        // "<s><|system|>\nBe brief.\n<|user|>\nTell a story\n<|assistant|>\n": BOS written by the template, once.
        var expectedPrompt = 1 + "<|system|>\nBe brief.\n<|user|>\nTell a story\n<|assistant|>\n".Length;
        Assert.Equal(expectedPrompt, c.Usage.InputTokenCount);
        Assert.Equal(5, c.Usage.OutputTokenCount);
        Assert.Equal(expectedPrompt + 5, c.Usage.TotalTokenCount);
        Assert.Equal(0, c.Usage.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public async Task ChatCompletion_Streaming_DeliversAllPiecesAndUsage()
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var u in Chat().CompleteChatStreamingAsync([new UserChatMessage("Hi")],
                           new ChatCompletionOptions { MaxOutputTokenCount = 3 }))
        {
            updates++;
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }
        Assert.Equal("Once upon a", text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage); // the SDK asks for stream_options.include_usage
        Assert.Equal(3, usage.OutputTokenCount);
        Assert.Equal(1 + "<|user|>\nHi\n<|assistant|>\n".Length, usage.InputTokenCount);
        Assert.Equal(1 + 3 + 1 + 1, updates); // role chunk, 3 content chunks, finish chunk, usage chunk
    }

    [Fact]
    public async Task ChatCompletion_OptionsReachTheEngine()
    {
        await Chat().CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions
        {
            Temperature = 0.25f, TopP = 0.5f, MaxOutputTokenCount = 7, FrequencyPenalty = 0.5f, PresencePenalty = -0.5f,
            StopSequences = { "zzz", "yyy" },
        });
        var s = Host.Engine.Requests.Last(r => r.Sampling.MaxTokens == 7).Sampling;
        Assert.Equal(0.25f, s.Temperature);
        Assert.Equal(0.5f, s.TopP);
        Assert.Equal(0.5f, s.FrequencyPenalty);
        Assert.Equal(-0.5f, s.PresencePenalty);
        Assert.Equal(["zzz", "yyy"], s.Stop);
        Assert.Null(s.Logprobs);
    }

    [Fact]
    public async Task UnknownModel_SurfacesAs404ClientResultException()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Chat("nope").CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(404, e.Status);
        Assert.Contains("model 'nope' not found", e.Message);
    }

    [Fact]
    public async Task Models_ListAndGet()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential("unused"), Options);
        OpenAIModelCollection models = await client.GetModelsAsync();
        Assert.Equal(["fake:latest", "plain:latest"], models.Select(m => m.Id).ToArray());
        OpenAIModel one = await client.GetModelAsync("plain:latest");
        Assert.Equal("hearth", one.OwnedBy);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), one.CreatedAt);
    }
}
