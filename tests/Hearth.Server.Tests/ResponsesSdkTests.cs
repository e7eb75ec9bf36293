#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Responses;

namespace Hearth.Server.Tests;

/// <summary>The official OpenAI .NET SDK's Responses client against the server over real HTTP: create, stream,
/// store and continue with previous_response_id, get and delete; another key cannot read what one stored.</summary>
public sealed class ResponsesSdkTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public Task InitializeAsync()
    {
        _host = TestHost.Start(new ServerOptions { ApiKeys = ["alice", "bob"] });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private ResponsesClient Client(string key = "alice") =>
        new(new ApiKeyCredential(key), new ResponsesClientOptions { Endpoint = new Uri(_host.BaseAddress, "v1"), NetworkTimeout = TimeSpan.FromSeconds(20) });

    private static readonly int PromptTokens = 1 + "<|system|>\nBe brief.\n<|user|>\nTell a story\n<|assistant|>\n".Length;

    private static CreateResponseOptions Options(bool stream = false) => new("fake", [ResponseItem.CreateUserMessageItem("Tell a story")])
    {
        Instructions = "Be brief.",
        MaxOutputTokenCount = 50,
        StreamingEnabled = stream ? true : null,
    };

    [Fact]
    public async Task Create_ReturnsOutputTextAndUsage_ThenGetAndDelete()
    {
        ResponseResult r = await Client().CreateResponseAsync(Options());
        Assert.Equal("Once upon a time.", r.GetOutputText());
        Assert.Equal(ResponseStatus.Completed, r.Status);
        Assert.Equal("fake:latest", r.Model);
        Assert.StartsWith("resp_", r.Id);
        Assert.Equal((PromptTokens, 5, PromptTokens + 5), (r.Usage.InputTokenCount, r.Usage.OutputTokenCount, r.Usage.TotalTokenCount));

        ResponseResult got = await Client().GetResponseAsync(r.Id);
        Assert.Equal(("Once upon a time.", r.Id), (got.GetOutputText(), got.Id));
        ResponseDeletionResult deleted = await Client().DeleteResponseAsync(r.Id);
        Assert.True(deleted.Deleted);
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => Client().GetResponseAsync(r.Id));
        Assert.Equal(404, gone.Status);
    }

    [Fact]
    public async Task Streaming_DeliversDeltasAndTheCompletedResponse()
    {
        var text = new StringBuilder();
        var kinds = new List<string>();
        ResponseResult? completed = null;
        await foreach (var update in await Client().CreateResponseStreamingAsync(Options(stream: true)))
        {
            kinds.Add(update.GetType().Name);
            if (update is StreamingResponseOutputTextDeltaUpdate delta) text.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate done) completed = done.Response;
        }
        Assert.Equal("Once upon a time.", text.ToString());
        Assert.Equal(["StreamingResponseCreatedUpdate", "StreamingResponseInProgressUpdate", "StreamingResponseOutputItemAddedUpdate",
            "StreamingResponseContentPartAddedUpdate", .. Enumerable.Repeat("StreamingResponseOutputTextDeltaUpdate", 5),
            "StreamingResponseOutputTextDoneUpdate", "StreamingResponseContentPartDoneUpdate", "StreamingResponseOutputItemDoneUpdate",
            "StreamingResponseCompletedUpdate"], kinds);
        Assert.Equal("Once upon a time.", completed!.GetOutputText());
        Assert.Equal(5, completed.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task PreviousResponseId_Continues_AndAnotherKeyCannotReadIt()
    {
        ResponseResult first = await Client().CreateResponseAsync(Options());
        ResponseResult second = await Client().CreateResponseAsync("fake", [ResponseItem.CreateUserMessageItem("More")], first.Id);
        Assert.Equal(first.Id, second.PreviousResponseId);
        Assert.Equal("[{\"role\":\"user\",\"content\":\"Tell a story\"},{\"role\":\"assistant\",\"content\":\"Once upon a time.\"},{\"role\":\"user\",\"content\":\"More\"}]",
            _host.Template.LastContext!["messages"]!.ToJsonString());

        var other = await Assert.ThrowsAsync<ClientResultException>(() => Client("bob").GetResponseAsync(first.Id));
        Assert.Equal(404, other.Status);
        var cont = await Assert.ThrowsAsync<ClientResultException>(() => Client("bob").CreateResponseAsync("fake", [ResponseItem.CreateUserMessageItem("x")], first.Id));
        Assert.Equal(404, cont.Status);
        Assert.Contains($"Previous response with id '{first.Id}' not found.", cont.Message);
    }
}
