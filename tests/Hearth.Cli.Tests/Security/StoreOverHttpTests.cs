using System.Text.Json.Nodes;
using Hearth.Store;
using Hearth.Tests;

namespace Hearth.Cli.Tests.Security;

/// <summary>Issue 13 items 4–7 and 10 against a real store behind real HTTP: pull and copy errors carry their
/// reason and a 4xx; failed pulls leave nothing behind; a resumed pull never splices two versions; `hearth rm`
/// unloads a loaded model; the embedded model stops at its end-of-story text.</summary>
public sealed class StoreOverHttpTests : IAsyncLifetime
{
    private static readonly byte[] Gguf = File.ReadAllBytes(TestPaths.EmbeddedModel);
    private readonly CliHarness _cli = new();
    private FileOrigin _origin = null!;
    private StoreServer _server = null!;

    public async Task InitializeAsync()
    {
        _origin = await FileOrigin.StartAsync();
        _server = await StoreServer.StartAsync(_cli.Home);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _origin.DisposeAsync();
        _cli.Dispose();
    }

    private async Task<(int Status, string Body)> PostAsync(string path, string json)
    {
        using var resp = await _server.Http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        return ((int)resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    private static string Error(string body) => JsonNode.Parse(body)!["error"]!.GetValue<string>();
    private string[] Blobs => Directory.GetFiles(_server.Store.BlobsDir);
    private string[] Partials => Directory.GetFileSystemEntries(_server.Store.PartialDir);

    [Fact]
    public async Task PullOfAnUnknownNameOrUnreachableUrlIsA4xxWithItsReason()
    {
        var before = Blobs;
        var (status, body) = await PostAsync("api/pull", """{"model":"a/b/c"}""");
        Assert.Equal((400, "cannot pull 'a/b/c:latest': an Ollama registry name is [NAMESPACE/]MODEL[:TAG] (or use hf.co/OWNER/REPO[:QUANT] or an http(s) URL of a .gguf file)"), (status, Error(body)));

        (status, body) = await PostAsync("api/pull", """{"model":"http://127.0.0.1:1/x.gguf"}"""); // streaming by default
        Assert.Equal(400, status);
        Assert.StartsWith("cannot download http://127.0.0.1:1/x.gguf: Connection refused", Error(body));

        (status, body) = await PostAsync("api/pull", $$"""{"model":"{{_origin.Url("none.gguf")}}","stream":false}""");
        Assert.Equal((404, $"{_origin.Url("none.gguf")} not found (HTTP 404)"), (status, Error(body)));
        Assert.Equal(before, Blobs);
        Assert.Empty(Partials);
    }

    [Fact]
    public async Task CopyErrorsAre4xxWithTheirReason()
    {
        var (status, body) = await PostAsync("api/copy", """{"source":"tinystories","destination":"bad name!"}""");
        Assert.Equal(400, status);
        Assert.Contains("bad name!", Error(body));
        (status, body) = await PostAsync("api/copy", """{"source":"nothing-here","destination":"x"}""");
        Assert.Equal((404, "model 'nothing-here:latest' not found"), (status, Error(body)));
    }

    [Fact]
    public async Task AnInvalidGgufStreamsItsReasonAndLeavesNoBlob()
    {
        var before = Blobs;
        _origin.Files["short.gguf"] = Gguf[..4096]; // a truncated GGUF
        var (status, body) = await PostAsync("api/pull", $$"""{"model":"{{_origin.Url("short.gguf")}}"}""");
        Assert.Equal(200, status); // the stream had started
        var last = JsonNode.Parse(body.TrimEnd('\n').Split('\n')[^1])!;
        Assert.StartsWith($"not a usable GGUF file ({_origin.Url("short.gguf")})", last["error"]!.GetValue<string>());
        Assert.EndsWith("the download was removed", last["error"]!.GetValue<string>());
        Assert.Equal(before, Blobs);
        Assert.Empty(Partials);
        Assert.Null(_server.Store.Find("short"));
    }

    [Fact]
    public async Task AResumedPullAfterTheRemoteChangedFetchesTheNewVersionWhole()
    {
        var v1 = Gguf.ToArray();
        v1[^1] ^= 0x5A;
        _origin.Files["m.gguf"] = v1;
        _origin.CutNextDownloadAfter = 200_000;
        var (_, body) = await PostAsync("api/pull", $$"""{"model":"{{_origin.Url("m.gguf")}}"}""");
        Assert.Contains("bytes are kept, pull again to resume", Error(body.TrimEnd('\n').Split('\n')[^1]));
        Assert.Equal(2, Partials.Length); // the bytes and their validator

        _origin.Files["m.gguf"] = Gguf; // the remote file changes
        (var status, body) = await PostAsync("api/pull", $$"""{"model":"{{_origin.Url("m.gguf")}}","stream":false}""");
        Assert.Equal((200, """{"status":"success"}"""), (status, body));
        var (_, range, ifRange) = _origin.Requests.Last();
        Assert.Equal(("bytes=200000-", FileOrigin.ETagOf(v1)), (range, ifRange));
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(_server.Store.Find("m")!.GgufPath)); // v2 exactly, not v1's head + v2's tail
        Assert.Empty(Partials);
    }

    [Fact]
    public async Task RmOfALoadedModelUnloadsItFromTheServer()
    {
        _cli.Environment["HEARTH_HOST"] = _server.Address.Authority;
        Assert.Equal(0, (await _cli.RunAsync("cp", "tinystories", "story")).ExitCode);
        var (status, _) = await PostAsync("api/generate", """{"model":"story","prompt":"Once","stream":false,"options":{"num_predict":2}}""");
        Assert.Equal(200, status);
        Assert.Contains(_server.Host.Loaded(), m => m.Name == "story:latest");

        var r = await _cli.RunAsync("rm", "story");
        Assert.Equal((0, $"unloaded 'story:latest' from the server at {_server.Address}\ndeleted 'story'\n", ""), (r.ExitCode, r.Out, r.Err));
        Assert.DoesNotContain(_server.Host.Loaded(), m => m.Name == "story:latest");
        Assert.Null(_server.Store.Find("story"));
    }

    [Fact]
    public async Task TheEmbeddedModelStopsBeforeItsEndOfStoryText()
    {
        Assert.Equal(EmbeddedModel.StopText, _server.Store.Find("tinystories")!.Parameters["stop"]);
        for (var seed = 0; seed < 4; seed++)
        {
            var (status, body) = await PostAsync("api/generate", $$$"""{"model":"tinystories","prompt":"Once upon a time","stream":false,"options":{"seed":{{{seed}}},"num_predict":400}}""");
            Assert.Equal(200, status);
            Assert.DoesNotContain("<|end_story|>", JsonNode.Parse(body)!["response"]!.GetValue<string>());
        }
    }
}
