using System.Text;
using Anthropic;
using Anthropic.Models.Messages;

namespace Hearth.Server.Tests;

/// <summary>The official Anthropic .NET SDK (NuGet `Anthropic`) against the server over real HTTP, authenticating
/// with its x-api-key header.</summary>
public sealed class AnthropicSdkTests : IAsyncLifetime
{
    private const string Key = "sk-ant-local-test";
    private TestHost _host = null!;

    public Task InitializeAsync()
    {
        _host = TestHost.Start(new ServerOptions { ApiKeys = [Key] });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private AnthropicClient Client(string key = Key) => new()
    {
        BaseUrl = _host.BaseAddress.ToString().TrimEnd('/'),
        ApiKey = key,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(20),
    };

    private static MessageCreateParams Request(long maxTokens = 50) => new()
    {
        Model = "fake",
        MaxTokens = maxTokens,
        System = "Be brief.",
        Messages = [new UserMessageParam { Content = "Tell a story" }],
    };

    private static readonly int PromptTokens = 1 + "<|system|>\nBe brief.\n<|user|>\nTell a story\n<|assistant|>\n".Length;

    [Fact]
    public async Task Create_ReturnsTextStopReasonAndUsage()
    {
        var message = await Client().Messages.Create(Request());
        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal("Once upon a time.", text!.Text);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal("fake:latest", message.Model.Raw());
        Assert.StartsWith("msg_", message.ID);
        Assert.Equal((PromptTokens, 5L), (message.Usage.InputTokens, message.Usage.OutputTokens));

        var capped = await Client().Messages.Create(Request(maxTokens: 2));
        Assert.Equal(StopReason.MaxTokens, capped.StopReason!.Value());
    }

    [Fact]
    public async Task CreateStreaming_DeliversEveryEventInOrder()
    {
        var text = new StringBuilder();
        var kinds = new List<string>();
        long? outputTokens = null;
        StopReason? stop = null;
        await foreach (var e in Client().Messages.CreateStreaming(Request()))
        {
            if (e.TryPickStart(out var start)) { kinds.Add("start"); Assert.Equal(PromptTokens, start!.Message.Usage.InputTokens); }
            else if (e.TryPickContentBlockStart(out _)) kinds.Add("block_start");
            else if (e.TryPickContentBlockDelta(out var delta))
            {
                kinds.Add("delta");
                Assert.True(delta!.Delta.TryPickText(out var t));
                text.Append(t!.Text);
            }
            else if (e.TryPickContentBlockStop(out _)) kinds.Add("block_stop");
            else if (e.TryPickDelta(out var md))
            {
                kinds.Add("message_delta");
                outputTokens = md!.Usage.OutputTokens;
                stop = md.Delta.StopReason?.Value();
            }
            else if (e.TryPickStop(out _)) kinds.Add("stop");
        }
        Assert.Equal("Once upon a time.", text.ToString());
        Assert.Equal(["start", "block_start", "delta", "delta", "delta", "delta", "delta", "block_stop", "message_delta", "stop"], kinds);
        Assert.Equal((5L, StopReason.EndTurn), (outputTokens, stop));
    }

    [Fact]
    public async Task CountTokens_MatchesTheUsageOfAGeneration()
    {
        var count = await Client().Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "fake",
            System = "Be brief.",
            Messages = [new UserMessageParam { Content = "Tell a story" }],
        });
        Assert.Equal(PromptTokens, count.InputTokens);
    }

    [Fact]
    public async Task WrongKey_And_BadRequest_AreTheSdksExceptions()
    {
        var auth = await Assert.ThrowsAsync<global::Anthropic.Exceptions.AnthropicUnauthorizedException>(() => Client("wrong").Messages.Create(Request()));
        Assert.Contains("\"type\":\"authentication_error\"", auth.Message);
        var bad = await Assert.ThrowsAsync<global::Anthropic.Exceptions.AnthropicNotFoundException>(() => Client().Messages.Create(Request() with { Model = "nope" }));
        Assert.Contains("model 'nope' not found", bad.Message);
    }
}
