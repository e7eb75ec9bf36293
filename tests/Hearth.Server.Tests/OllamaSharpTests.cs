using System.Text;
using OllamaSharp;
using OllamaSharp.Models;
using OllamaSharp.Models.Chat;

namespace Hearth.Server.Tests;

/// <summary>OllamaSharp (an existing Ollama client) against the server over real HTTP.</summary>
public sealed class OllamaSharpTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private OllamaApiClient Client() => new(new HttpClient { BaseAddress = fixture.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(20) }, "fake");

    [Fact]
    public async Task Chat_Streaming()
    {
        var text = new StringBuilder();
        ChatResponseStream? last = null;
        var count = 0;
        await foreach (var r in Client().ChatAsync(new ChatRequest { Model = "fake", Messages = [new Message(ChatRole.User, "Hi")] }))
        {
            count++;
            text.Append(r!.Message.Content);
            last = r;
        }
        Assert.Equal("Once upon a time.", text.ToString());
        Assert.Equal(6, count); // five pieces and the final line
        var done = Assert.IsType<ChatDoneResponseStream>(last);
        Assert.True(done.Done);
        Assert.Equal("stop", done.DoneReason);
        Assert.Equal(5, done.EvalCount);
        // Modelfile SYSTEM of the catalog is not applied by a static host; prompt = BOS + template text.
        Assert.Equal(1 + "<|user|>\nHi\n<|assistant|>\n".Length, done.PromptEvalCount);
        Assert.True(done.TotalDuration > 0 && done.TotalDuration >= done.EvalDuration);
        Assert.Equal("fake:latest", done.Model);
    }

    [Fact]
    public async Task Chat_NotStreaming()
    {
        var responses = new List<ChatResponseStream?>();
        await foreach (var r in Client().ChatAsync(new ChatRequest { Model = "fake", Stream = false, Messages = [new Message(ChatRole.User, "Hi")], Options = new RequestOptions { NumPredict = 2 } }))
            responses.Add(r);
        var done = Assert.IsType<ChatDoneResponseStream>(Assert.Single(responses));
        Assert.Equal("Once upon", done.Message.Content);
        Assert.Equal("length", done.DoneReason);
        Assert.Equal(2, done.EvalCount);
    }

    [Fact]
    public async Task Generate_StreamingAndNot()
    {
        var text = new StringBuilder();
        GenerateDoneResponseStream? done = null;
        await foreach (var r in Client().GenerateAsync(new GenerateRequest { Model = "plain", Prompt = "Hello" }))
        {
            text.Append(r!.Response);
            done = r as GenerateDoneResponseStream ?? done;
        }
        Assert.Equal("Once upon a time.", text.ToString());
        Assert.NotNull(done);
        Assert.Equal(6, done.PromptEvalCount); // BOS + "Hello" (no template: plain completion)
        Assert.Equal(5, done.EvalCount);
#pragma warning disable CS0618 // Context is deprecated in Ollama but still sent by it (and by us)
        Assert.Equal(11, done.Context!.Length); // prompt + generated tokens
#pragma warning restore CS0618

        var once = new List<GenerateResponseStream?>();
        await foreach (var r in Client().GenerateAsync(new GenerateRequest { Model = "plain", Prompt = "Hello", Stream = false }))
            once.Add(r);
        Assert.Equal("Once upon a time.", Assert.Single(once)!.Response);
    }

    [Fact]
    public async Task ListLocalModels()
    {
        var models = (await Client().ListLocalModelsAsync()).ToList();
        Assert.Equal(["fake:latest", "plain:latest"], models.Select(m => m.Name).ToArray());
        Assert.Equal(1234, models[0].Size);
        Assert.Equal(new string('a', 64), models[0].Digest);
        Assert.Equal("Q8_0", models[0].Details.QuantizationLevel);
    }

    [Fact]
    public async Task IsRunning_And_Version()
    {
        Assert.True(await Client().IsRunningAsync());
        var v = await Client().GetVersionAsync();
        Assert.NotNull(v);
    }
}
