using System.Text.Json;
using System.Threading.Channels;
using Hearth.Bench.Client;
using Hearth.Bench.Reports;
using Hearth.Bench.Running;
using Hearth.Bench.Workloads;
using Hearth.Server.Http;
using Hearth.Server.Ollama;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.WebUi;

/// <summary>POST /ui/api/bench: runs a `hearth bench` concurrency sweep (the Hearth.Bench library) against this server
/// or another OpenAI-compatible URL and streams NDJSON: {"event":"warmup"}, {"event":"level_started",…},
/// {"event":"level_finished",…} per level, then {"event":"report","report":{…the bench JSON report…}}. One sweep at
/// a time (409 otherwise); sizes are bounded so a page cannot tie the server up for long.</summary>
public static class BenchEndpoint
{
    public const int MaxLevels = 8, MaxConcurrency = 256, MaxRequests = 512, MaxTokens = 4096;

    /// <summary>The one sweep a server runs at a time (a singleton per server).</summary>
    public sealed class Slot : IDisposable
    {
        internal readonly SemaphoreSlim Gate = new(1, 1);
        public void Dispose() => Gate.Dispose();
    }

    public static async Task Handle(HttpContext ctx)
    {
        var config = await ReadConfigAsync(ctx);
        var gate = ctx.RequestServices.GetRequiredService<Slot>().Gate;
        if (!await gate.WaitAsync(0, ctx.RequestAborted))
            throw new ApiException(409, "a benchmark is already running on this server; wait for it to finish", code: "bench_running");
        try
        {
            await RunAsync(ctx, config);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<BenchConfig> ReadConfigAsync(HttpContext ctx)
    {
        var a = await JsonArgs.ReadAsync(ctx);
        var model = a.String("model") ?? throw ApiException.BadRequest("'model' is required", "model");
        var urlText = a.String("url");
        Target target;
        if (string.IsNullOrWhiteSpace(urlText))
        {
            // This server, over loopback to the port the page came in on, with the caller's own key.
            var auth = ctx.Request.Headers.Authorization.ToString();
            var key = auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
            target = new Target("this server", SelfUrl(ctx), model, key);
        }
        else
        {
            if (!Target.TryParseUrl(urlText, out var url)) throw ApiException.BadRequest("'url' must be an http:// or https:// URL", "url");
            target = new Target(url.Authority, url, model, a.String("api_key"));
        }
        var levels = a.Array("concurrency") ?? throw ApiException.BadRequest("'concurrency' is required (an array, e.g. [1,4,16])", "concurrency");
        if (levels.Count is < 1 or > MaxLevels) throw ApiException.BadRequest($"'concurrency' needs 1 to {MaxLevels} levels", "concurrency");
        var levelValues = levels.Select(n => n is not null && n.GetValueKind() == JsonValueKind.Number && n.GetValue<double>() is var v
                                             && v >= 1 && v <= MaxConcurrency && v == Math.Floor(v)
            ? v : throw ApiException.BadRequest($"'concurrency' values must be whole numbers from 1 to {MaxConcurrency}", "concurrency")).ToList();
        var requests = a.Int("requests", 1, MaxRequests) ?? 16;
        var inputLen = a.Int("input_len", 1, MaxTokens) ?? 32;
        var outputLen = a.Int("output_len", 1, MaxTokens) ?? 32;
        var endpoint = a.String("endpoint") switch
        {
            null or "completions" => EndpointKind.Completions,
            "chat" => EndpointKind.Chat,
            _ => throw ApiException.BadRequest("'endpoint' must be 'completions' or 'chat'", "endpoint"),
        };
        var config = new BenchConfig([target], endpoint, LoadMode.Concurrency, levelValues, requests, TimeSpan.FromMinutes(10),
            new WorkloadSpec(inputLen, outputLen), IgnoreEos: a.Bool("ignore_eos") ?? true, Seed: a.Int("seed") ?? 0, Warmup: 1);
        if (config.Validate() is { } problem) throw ApiException.BadRequest(problem);
        return config;
    }

    private static Uri SelfUrl(HttpContext ctx)
    {
        var ip = ctx.Connection.LocalIpAddress ?? System.Net.IPAddress.Loopback;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var host = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        return new Uri($"http://{host}:{ctx.Connection.LocalPort}/v1");
    }

    private static async Task RunAsync(HttpContext ctx, BenchConfig config)
    {
        var events = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var builder = new WorkloadBuilder(config.Workload, new PromptFactory(null), config.Seed);
        var run = Task.Run(async () =>
        {
            try
            {
                var report = await BenchRunner.RunAsync(config, builder, new Observer(events.Writer), ctx.RequestAborted);
                using var json = new MemoryStream();
                JsonReport.Write(report, json);
                using var parsed = JsonDocument.Parse(json.ToArray()); // the report is indented; NDJSON needs it on one line
                events.Writer.TryWrite(JsonOut.ToBytes(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("event", "report");
                    w.WritePropertyName("report");
                    parsed.RootElement.WriteTo(w);
                    w.WriteEndObject();
                }));
                events.Writer.TryComplete();
            }
            catch (Exception e) { events.Writer.TryComplete(e); }
        });
        await OllamaJson.StartStreamAsync(ctx);
        try
        {
            await foreach (var line in events.Reader.ReadAllAsync(ctx.RequestAborted)) await OllamaJson.WriteLineAsync(ctx, line);
        }
        catch (Exception e) when (e is not OperationCanceledException && !ctx.RequestAborted.IsCancellationRequested)
        {
            RequestRecord.Of(ctx).Status = 500;
            await OllamaJson.WriteLineAsync(ctx, OllamaJson.Error(e is HttpRequestException or InvalidOperationException or IOException ? e.Message : "benchmark failed"));
        }
        try { await run; }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { /* the page left; the sweep stopped with it */ }
    }

    /// <summary>Turns the runner's progress callbacks into NDJSON event lines.</summary>
    private sealed class Observer(ChannelWriter<byte[]> events) : IBenchObserver
    {
        public void WarmingUp(Target target) => Event("warmup", _ => { });

        public void LevelStarted(Target target, LevelPlan plan, LevelCounters counters) =>
            Event("level_started", w => { w.WriteNumber("level", plan.Value); w.WriteNumber("requests", plan.MaxRequests); });

        public void LevelFinished(Target target, LevelResult result) => Event("level_finished", w =>
        {
            w.WriteNumber("level", result.Plan.Value);
            w.WriteNumber("completed", result.Metrics.Completed);
            w.WriteNumber("failed", result.Metrics.Failed);
            w.WriteNumber("output_throughput", result.Metrics.OutputThroughput);
        });

        private void Event(string name, Action<Utf8JsonWriter> body) => events.TryWrite(JsonOut.ToBytes(w =>
        {
            w.WriteStartObject();
            w.WriteString("event", name);
            body(w);
            w.WriteEndObject();
        }));
    }
}
