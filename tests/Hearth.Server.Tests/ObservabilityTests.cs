using System.Net;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Server.Tests.Fakes;
using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Server.Tests;

/// <summary>/health, /ready, /metrics and the per-request log line.</summary>
public sealed class ObservabilityTests
{
    [Fact]
    public async Task Metrics_CountRequestsTokensAndLatencies()
    {
        await using var host = TestHost.Start();
        host.Engine.CachedPromptTokens = 3;
        for (var i = 0; i < 2; i++)
            Assert.Equal(200, (await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"Hello\"}")).Status);
        Assert.Equal(200, (await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"Hello\",\"max_tokens\":2}")).Status);
        var resp = await host.Http.GetAsync("metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", resp.Content.Headers.ContentType!.ToString());
        var m = await resp.Content.ReadAsStringAsync();
        const string L = "model_name=\"fake:latest\"";
        Assert.Contains($"hearth:request_success_total{{{L},finished_reason=\"stop\"}} 2\n", m);
        Assert.Contains($"hearth:request_success_total{{{L},finished_reason=\"length\"}} 1\n", m);
        Assert.Contains($"hearth:prompt_tokens_total{{{L}}} 18\n", m); // 3 × (BOS + "Hello")
        Assert.Contains($"hearth:generation_tokens_total{{{L}}} 12\n", m); // 5 + 5 + 2
        Assert.Contains($"hearth:time_to_first_token_seconds_count{{{L}}} 3\n", m);
        Assert.Contains($"hearth:time_to_first_token_seconds_bucket{{{L},le=\"+Inf\"}} 3\n", m);
        Assert.Contains($"hearth:e2e_request_latency_seconds_count{{{L}}} 3\n", m);
        Assert.Contains($"hearth:inter_token_latency_seconds_count{{{L}}} 9\n", m); // 4 + 4 + 1 gaps
        Assert.Contains($"hearth:request_queue_time_seconds_count{{{L}}} 3\n", m);
        Assert.Contains($"hearth:request_queue_time_seconds_bucket{{{L},le=\"0.3\"}} 3\n", m);
        Assert.Contains($"hearth:kv_cache_usage_perc{{{L}}} 0.25\n", m);
        Assert.Contains($"hearth:kv_cache_blocks_used{{{L}}} 16\n", m);
        Assert.Contains($"hearth:num_requests_running{{{L}}} 0\n", m);
        Assert.Contains($"hearth:num_requests_waiting{{{L}}} 0\n", m);
        Assert.Contains($"hearth:prefix_cache_queries_total{{{L}}} 10\n", m);
        Assert.Contains($"hearth:prefix_cache_hits_total{{{L}}} 4\n", m);
        Assert.Contains("# TYPE hearth:time_to_first_token_seconds histogram\n", m);
        Assert.DoesNotContain("plain:latest", m); // never used: no series

        var body = (await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"Hello\"}")).Body!;
        Assert.Equal(3, body["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task RequestLog_OneLinePerRequest()
    {
        await using var host = TestHost.Start();
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"Hello\"}");
        var id = body!["id"]!.GetValue<string>()["cmpl-".Length..];
        await host.Http.GetAsync("v1/nothing");
        var lines = (await host.LogsOnceAsync(l => l.Contains($"id={id}"), l => l.Contains("path=/v1/nothing")))
            .Where(l => l.StartsWith("request ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines, l => l.Contains($"id={id}"));
        Assert.Matches($"^request id={id} method=POST path=/v1/completions model=fake:latest prompt_tokens=6 completion_tokens=5 ttft_ms=[0-9.]+ duration_ms=[0-9.]+ status=200 trace_id=([0-9a-f]{32}|-)$", line);
        Assert.Single(lines, l => l.Contains("path=/v1/nothing") && l.Contains(" status=404 trace_id=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_AlwaysOk_Ready_OnlyWhenDefaultModelLoaded()
    {
        await using var host = TestHost.Start();
        Assert.Equal("{\"status\":\"ok\"}", await host.Http.GetStringAsync("health"));
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("ready")).StatusCode);

        // A host whose default model is not loaded yet.
        var app = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false }, new NotLoadedHost(), null, _ => { });
        await app.StartAsync();
        try
        {
            using var c = new HttpClient { BaseAddress = new Uri(HearthServer.BoundAddresses(app).Single()) };
            Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/health")).StatusCode);
            var ready = await c.GetAsync("/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("{\"status\":\"loading\",\"model\":\"big:latest\"}", await ready.Content.ReadAsStringAsync());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private sealed class NotLoadedHost : IModelHost
    {
        public string DefaultModelName => "big:latest";
        public Task<ModelLease> AcquireAsync(string? name, TimeSpan? keepAlive, CancellationToken cancellationToken) => throw new ModelNotFoundException(name ?? "");
        public IReadOnlyList<LoadedModelStatus> Loaded() => [];
        public Task<bool> UnloadAsync(string name) => Task.FromResult(false);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
