using System.Diagnostics;
using System.Net.Http.Json;
using Hearth.Cli.Commands;
using Hearth.Engine;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using Hearth.Server;
using Hearth.Store.Hosting;
using Hearth.Tests;
using OpenTelemetry.Trace;

namespace Hearth.Cli.Tests.EndToEnd;

/// <summary>A request through `hearth router` to `hearth serve` (the embedded model, both with tracing on) is one
/// trace: the router's request span and serve's request span share the trace id (W3C traceparent), and serve's
/// queue / prefill / decode spans hang under its request span.</summary>
public sealed class RouterServeTraceTests
{
    [Fact]
    public async Task OneTraceCoversRouterAndServe()
    {
        var routerSpans = new List<Activity>();
        var serveSpans = new List<Activity>();
        var model = ServeModelLoader.Load("tinystories:latest", TestPaths.EmbeddedModel, null,
            new ServeEngineSettings(Threads: 1, new EngineOptions { KvCacheMemoryBytes = 16L << 20, MaxNumSeqs = 4 }));
        await using var host = new StaticModelHost([model]);
        await using var serve = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false, ConfigureTracing = t => t.AddInMemoryExporter(serveSpans) }, host);
        await serve.StartAsync();
        var serveUri = new Uri(HearthServer.BoundAddresses(serve)[0]);
        var yaml = """
            upstreams:
              - {name: serve, url: "URL/v1", models: {tiny: "tinystories:latest"}}
            models:
              tiny: {}
            """.Replace("URL", serveUri.ToString().TrimEnd('/'));
        await using var router = await RouterHost.StartAsync(RouterConfigLoader.Parse(yaml), configureTracing: t => t.AddInMemoryExporter(routerSpans));
        using var client = new HttpClient { BaseAddress = router.Address, Timeout = TimeSpan.FromSeconds(60) };
        using (var r = await client.PostAsJsonAsync("v1/completions", new { model = "tiny", prompt = "Once upon a time", max_tokens = 4, temperature = 0 }))
            r.EnsureSuccessStatusCode();

        static async Task<Activity> ServerSpan(List<Activity> spans, int port)
        {
            for (var i = 0; i < 100; i++)
            {
                lock (spans)
                    if (spans.FirstOrDefault(s => s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int p && p == port) is { } found)
                        return found;
                await Task.Delay(100);
            }
            throw new TimeoutException($"no server span for port {port}");
        }
        var atRouter = await ServerSpan(routerSpans, router.Address.Port);
        var atServe = await ServerSpan(serveSpans, serveUri.Port);
        Assert.Equal(atRouter.TraceId, atServe.TraceId);
        Assert.NotEqual(atRouter.SpanId, atServe.SpanId);
        List<string> children;
        lock (serveSpans) children = serveSpans.Where(s => s.ParentSpanId == atServe.SpanId && s.Source.Name == "Hearth.Server")
            .OrderBy(s => s.StartTimeUtc).Select(s => s.DisplayName).ToList();
        Assert.Equal(["queue", "prefill", "decode"], children);
        Assert.Equal(4, atServe.GetTagItem("gen_ai.usage.output_tokens"));
    }
}
