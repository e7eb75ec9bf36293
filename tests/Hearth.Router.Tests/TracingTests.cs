using System.Diagnostics;
using System.Net.Http.Headers;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using OpenTelemetry.Trace;

namespace Hearth.Router.Tests;

/// <summary>With tracing on, the router's request span and its upstream call are one trace, and the upstream receives
/// that trace in the W3C traceparent header (so a Hearth server behind the router continues it).</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task UpstreamReceivesTheRouterRequestsTraceId()
    {
        var spans = new List<Activity>();
        await using var upstream = await FakeUpstream.StartAsync("a");
        var yaml = """
            upstreams:
              - {name: a, url: "URL", models: {m: m}}
            models:
              m: {}
            """.Replace("URL", upstream.V1);
        await using var router = await RouterHost.StartAsync(RouterConfigLoader.Parse(yaml), configureTracing: t => t.AddInMemoryExporter(spans));
        using var client = new HttpClient { BaseAddress = router.Address, Timeout = TimeSpan.FromSeconds(20) };
        using (var r = await client.PostAsync("v1/chat/completions", RouterTestBed.ChatBody("m"))) r.EnsureSuccessStatusCode();

        Activity? request = null;
        for (var i = 0; i < 100 && request is null; i++)
        {
            lock (spans)
                request = spans.FirstOrDefault(s => s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int port && port == router.Address.Port);
            if (request is null) await Task.Delay(100);
        }
        Assert.NotNull(request);
        var traceparent = Assert.Single(upstream.Traceparents);
        var parts = traceparent.Split('-');
        Assert.Equal(4, parts.Length);
        Assert.Equal(request.TraceId.ToHexString(), parts[1]);
        List<Activity> clientSpans;
        lock (spans) clientSpans = spans.Where(s => s.Kind == ActivityKind.Client && s.TraceId == request.TraceId && s.ParentSpanId == request.SpanId).ToList();
        var call = Assert.Single(clientSpans); // the attempt against the upstream, under the router's request span
        Assert.Equal(call.SpanId.ToHexString(), parts[2]);
    }
}
