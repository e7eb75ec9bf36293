using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Hearth.Server.Tests;

/// <summary>Exact SSE/NDJSON framing, concurrency and cancellation over real sockets.</summary>
public sealed partial class StreamingTests
{
    [GeneratedRegex("^data: (\\{.*\\}|\\[DONE\\])$")]
    private static partial Regex SseLine();

    [Fact]
    public async Task ChatStream_FramingIsExact()
    {
        await using var host = TestHost.Start();
        var resp = await host.Http.PostAsync("v1/chat/completions", Http.Json(
            "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":2}"));
        Assert.Equal("text/event-stream; charset=utf-8", resp.Content.Headers.ContentType!.ToString());
        Assert.Equal("no-cache", resp.Headers.CacheControl!.ToString());
        var text = await resp.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\ndata: [DONE]\n\n", text);
        var events = text[..^2].Split("\n\n");
        Assert.All(events, e => Assert.Matches(SseLine(), e));
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!.AsObject()).ToList();
        Assert.Equal(5, chunks.Count); // role, "Once", " upon", finish, usage
        var id = chunks[0]["id"]!.GetValue<string>();
        Assert.All(chunks, c => Assert.Equal(id, c["id"]!.GetValue<string>()));
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        Assert.Equal("{\"role\":\"assistant\",\"content\":\"\"}", chunks[0]["choices"]![0]!["delta"]!.ToJsonString());
        Assert.Equal("{\"content\":\"Once\"}", chunks[1]["choices"]![0]!["delta"]!.ToJsonString());
        Assert.Equal("{\"content\":\" upon\"}", chunks[2]["choices"]![0]!["delta"]!.ToJsonString());
        Assert.Equal("{}", chunks[3]["choices"]![0]!["delta"]!.ToJsonString());
        Assert.Equal("length", chunks[3]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Null(chunks[1]["usage"]);
        Assert.True(chunks[1].ContainsKey("usage")); // present and null until the final chunk
        Assert.Empty(chunks[4]["choices"]!.AsArray());
        var prompt = 1 + "<|user|>\nHi\n<|assistant|>\n".Length;
        Assert.Equal($"{{\"prompt_tokens\":{prompt},\"completion_tokens\":2,\"total_tokens\":{prompt + 2},\"prompt_tokens_details\":{{\"cached_tokens\":0}}}}",
            chunks[4]["usage"]!.ToJsonString());
    }

    [Fact]
    public async Task CompletionStream_NoUsageUnlessAsked()
    {
        await using var host = TestHost.Start();
        var resp = await host.Http.PostAsync("v1/completions", Http.Json("{\"model\":\"plain\",\"prompt\":\"Hi\",\"stream\":true}"));
        var events = (await resp.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, events.Length); // 5 pieces (the last carries finish_reason) + [DONE]
        var last = JsonNode.Parse(events[4]["data: ".Length..])!;
        Assert.Equal("{\"index\":0,\"text\":\".\",\"logprobs\":null,\"finish_reason\":\"stop\"}", last["choices"]![0]!.ToJsonString());
        Assert.False(last.AsObject().ContainsKey("usage"));
        Assert.Equal("text_completion", last["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task OllamaStream_IsNdjsonWithFinalStats()
    {
        await using var host = TestHost.Start();
        var resp = await host.Http.PostAsync("api/chat", Http.Json("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"options\":{\"num_predict\":2}}"));
        Assert.Equal("application/x-ndjson", resp.Content.Headers.ContentType!.ToString());
        var text = await resp.Content.ReadAsStringAsync();
        Assert.EndsWith("}\n", text);
        var lines = text.TrimEnd('\n').Split('\n').Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal(["model", "created_at", "message", "done"], lines[0].Select(p => p.Key).ToArray());
        Assert.Equal("{\"role\":\"assistant\",\"content\":\"Once\"}", lines[0]["message"]!.ToJsonString());
        Assert.True(DateTimeOffset.TryParse(lines[0]["created_at"]!.GetValue<string>(), out _));
        var final = lines[2];
        Assert.Equal(["model", "created_at", "message", "done", "done_reason", "total_duration", "load_duration", "prompt_eval_count",
            "prompt_eval_duration", "eval_count", "eval_duration"], final.Select(p => p.Key).ToArray());
        Assert.True(final["done"]!.GetValue<bool>());
        Assert.Equal("length", final["done_reason"]!.GetValue<string>());
        Assert.Equal(2, final["eval_count"]!.GetValue<int>());
        Assert.Equal("", final["message"]!["content"]!.GetValue<string>());
        Assert.InRange(final["total_duration"]!.GetValue<long>(), 1, 30_000_000_000L); // nanoseconds
    }

    [Fact]
    public async Task SixtyFourConcurrentStreams_AllComplete()
    {
        await using var host = TestHost.Start();
        host.Engine.TokenDelay = TimeSpan.FromMilliseconds(5);
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var sw = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, 64).Select(async i =>
        {
            var resp = await client.PostAsync("v1/chat/completions", Http.Json(
                $"{{\"model\":\"fake\",\"messages\":[{{\"role\":\"user\",\"content\":\"client {i}\"}}],\"stream\":true}}"));
            var events = (await resp.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            var content = string.Concat(events.Where(e => e != "data: [DONE]")
                .Select(e => JsonNode.Parse(e[6..])!["choices"]![0]!["delta"]!["content"]?.GetValue<string>()));
            return (content, events[^1]);
        }).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.Equal(("Once upon a time.", "data: [DONE]"), r));
        Assert.Equal(64, host.Engine.Requests.Count);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");
    }

    [Theory]
    [InlineData("v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")]
    [InlineData("api/generate", "{\"model\":\"fake\",\"prompt\":\"Hi\"}")]
    public async Task ClientKilledMidStream_CancelsTheRequest(string path, string body)
    {
        await using var host = TestHost.Start();
        host.Engine.TokenDelay = TimeSpan.FromMilliseconds(50);
        host.Engine.Pieces = Enumerable.Range(0, 1000).Select(i => $" w{i}").ToList();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = Http.Json(body) };
        var resp = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        var stream = await resp.Content.ReadAsStreamAsync();
        var buffer = new byte[256];
        Assert.True(await stream.ReadAsync(buffer) > 0); // the stream is flowing
        resp.Dispose(); // the client goes away mid-stream
        client.Dispose();
        var cancelled = await host.Engine.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(host.Engine.LastRequest.RequestId, cancelled);
        Assert.True(host.Engine.LastRequest.Sampling.MaxTokens > 50); // it would have run much longer
        // Finished "abort" in the metrics once the handler unwinds.
        var deadline = Stopwatch.StartNew();
        string metrics;
        do metrics = await host.Http.GetStringAsync("metrics");
        while (!metrics.Contains("finished_reason=\"abort\"} 1") && deadline.Elapsed < TimeSpan.FromSeconds(5) && await Task.Delay(20).ContinueWith(_ => true));
        Assert.Contains("hearth:request_success_total{model_name=\"fake:latest\",finished_reason=\"abort\"} 1", metrics);
    }
}
