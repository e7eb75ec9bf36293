using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hearth.Cli.Commands;
using Hearth.Engine;
using Hearth.Server;
using Hearth.Store.Hosting;
using Hearth.Tests;

namespace Hearth.Cli.Tests.EndToEnd;

/// <summary>Limits are checked once, at the edge, against what the engine really holds: a real engine on the
/// embedded model whose KV cache holds 4 blocks of 16 tokens (64 tokens, less than the model's context) and runs at
/// most 2 sequences, served over real HTTP. And a KV budget below one full-length sequence refuses to start.</summary>
public sealed class EngineLimitTests : IAsyncLifetime
{
    private const int KvTokens = 64;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private LoadedModel _model = null!;
    private StaticModelHost _host = null!;
    private Microsoft.AspNetCore.Builder.WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var settings = new ServeEngineSettings(Threads: 1, new EngineOptions { NumKvBlocks = KvTokens / 16, BlockSize = 16, MaxNumSeqs = 2 });
        _model = ServeModelLoader.Load(EmbeddedModelServer.ModelName, TestPaths.EmbeddedModel, null, settings);
        _host = new StaticModelHost([_model]);
        _app = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false }, _host);
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(HearthServer.BoundAddresses(_app)[0].TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(120) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        await _host.DisposeAsync();
        _timeout.Dispose();
    }

    private string Capped => $"This model's maximum context length is {KvTokens} tokens (the server's KV cache holds {KvTokens} of the model's {_model.Shape.ContextLength})";

    private async Task<(int Status, JsonNode Body)> PostAsync(string path, object body)
    {
        using var r = await _http.PostAsJsonAsync(path, body, _timeout.Token);
        return ((int)r.StatusCode, JsonNode.Parse(await r.Content.ReadAsStringAsync(_timeout.Token))!);
    }

    [Fact]
    public async Task MaxTokensBeyondTheKvCapacity_Is400_NotASilentCut()
    {
        Assert.True(_model.Shape.ContextLength > KvTokens, "the test needs a model whose context exceeds the KV cache");
        var (status, body) = await PostAsync("v1/completions", new { prompt = "Once", max_tokens = 100 });
        Assert.Equal(400, status);
        var error = body["error"]!;
        Assert.Equal(("max_tokens", "context_length_exceeded"), (error["param"]!.GetValue<string>(), error["code"]!.GetValue<string>()));
        Assert.StartsWith(Capped + ". However, you requested ", error["message"]!.GetValue<string>());

        (status, body) = await PostAsync("v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hi" } }, max_completion_tokens = 100 });
        Assert.Equal(400, status);
        Assert.Equal("max_completion_tokens", body["error"]!["param"]!.GetValue<string>());
        Assert.StartsWith(Capped, body["error"]!["message"]!.GetValue<string>());

        // What fits runs in full.
        (status, body) = await PostAsync("v1/completions", new { prompt = "Once", max_tokens = 8, temperature = 0, ignore_eos = true });
        Assert.Equal(200, status);
        Assert.Equal((8, "length"), (body["usage"]!["completion_tokens"]!.GetValue<int>(), body["choices"]![0]!["finish_reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task PromptBeyondTheKvCapacity_SameWordingOnOpenAiAndOllama()
    {
        var prompt = string.Join(" ", Enumerable.Repeat("Once upon a time", 20));
        var (status, body) = await PostAsync("v1/completions", new { prompt, max_tokens = 1 });
        Assert.Equal(400, status);
        var openAi = body["error"]!["message"]!.GetValue<string>();
        Assert.StartsWith(Capped + ". However, your prompt has ", openAi);

        (status, body) = await PostAsync("api/generate", new { prompt, stream = false, raw = true });
        Assert.Equal(400, status);
        Assert.Equal(openAi, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task MoreSequencesThanTheEngineRuns_Is400()
    {
        var (status, body) = await PostAsync("v1/completions", new { prompt = "Once", max_tokens = 2, n = 3 });
        Assert.Equal(400, status);
        Assert.Equal("n", body["error"]!["param"]!.GetValue<string>());
        Assert.Equal("'n' is 3 but this server runs at most 2 sequences per request", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task KvMemoryBelowOneFullLengthSequence_IsAStartUpErrorNamingTheMinimum()
    {
        using var cli = new CliHarness();
        var r = await cli.RunAsync("serve", "--port", "0", "--kv-cache-memory", "1");
        Assert.Equal(1, r.ExitCode);
        var match = System.Text.RegularExpressions.Regex.Match(r.Err,
            @"^Error: the KV cache memory \(1 B\) cannot hold one full-length sequence: (\d+) tokens need at least [0-9.]+ [KMG]i?B \((\d+) bytes\); give --kv-cache-memory at least \2 bytes\n$");
        Assert.True(match.Success, r.Err);
        Assert.Equal(_model.Shape.ContextLength, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

        // The minimum it names is exact: that many bytes load, one byte less does not.
        var minimum = long.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        var fits = ServeModelLoader.Load("m", TestPaths.EmbeddedModel, null, new ServeEngineSettings(1, new EngineOptions { KvCacheMemoryBytes = minimum }));
        Assert.Equal(_model.Shape.ContextLength, fits.Engine.Limits.MaxModelLength);
        await fits.Engine.DisposeAsync();
        Assert.Throws<KvCacheTooSmallException>(() => ServeModelLoader.Load("m", TestPaths.EmbeddedModel, null, new ServeEngineSettings(1, new EngineOptions { KvCacheMemoryBytes = minimum - 1 })));
    }
}
