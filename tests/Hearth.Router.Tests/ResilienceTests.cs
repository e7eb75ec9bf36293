using System.Net;
using Microsoft.AspNetCore.Http;

namespace Hearth.Router.Tests;

public class ResilienceTests
{
    [Fact]
    public async Task UpstreamStoppedMidRunCausesNoClientVisibleErrors()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            circuit_breaker: {failures: 2, cooldown: 30s}
            retries: {max: 2, backoff_ms: 5}
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
              - {name: b, url: "{b}", models: {m: m}}
            models:
              m: {}
            """, "a", "b");
        bed["a"].DelayMs = 2;
        bed["b"].DelayMs = 2;
        const int total = 60;
        var next = 0;
        var statuses = new List<HttpStatusCode>();
        var workers = Enumerable.Range(0, 4).Select(async _ =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i > total) return;
                if (i == 20) await bed["a"].StopAsync();
                using var r = await bed.ChatAsync("m");
                lock (statuses) statuses.Add(r.StatusCode);
            }
        });
        await Task.WhenAll(workers);
        Assert.Equal(total, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(bed["b"].Requests >= total - 20, $"b served {bed["b"].Requests}");
    }

    [Fact]
    public async Task NoRetryOnceStreamingHasBegun()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            retries: {max: 3, backoff_ms: 1}
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
              - {name: b, url: "{b}", models: {m: m}}
            models:
              m: {}
            """, "a", "b");
        foreach (var u in bed.Upstreams)
            u.Script = async (ctx, _) =>
            {
                ctx.Response.ContentType = "text/event-stream";
                await ctx.Response.WriteAsync("data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n");
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(50);
                ctx.Abort(); // the upstream dies mid-stream
            };
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = RouterTestBed.ChatBody("m", stream: true) };
        using var res = await bed.Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        await using var body = await res.Content.ReadAsStreamAsync();
        var buf = new byte[4096];
        var first = await body.ReadAsync(buf);
        Assert.StartsWith("data: {\"choices\"", System.Text.Encoding.UTF8.GetString(buf, 0, first));
        // The client sees the break as an error, not a silently completed stream.
        await Assert.ThrowsAnyAsync<Exception>(async () => { while (await body.ReadAsync(buf) > 0) { } });
        Assert.Equal(1, bed["a"].Requests + bed["b"].Requests);
    }

    [Fact]
    public async Task AnUpstreamThatDiesAfterItsHeadersButBeforeItsFirstTokenIsRetried()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            retries: {max: 2, backoff_ms: 1}
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
              - {name: b, url: "{b}", models: {m: m}}
            models:
              m: {}
            """, "a", "b");
        var attempts = 0;
        foreach (var u in bed.Upstreams)
            u.Script = async (ctx, body) =>
            {
                if (Interlocked.Increment(ref attempts) > 1)
                {
                    await FakeUpstream.DefaultAnswer(ctx, body, "second");
                    return;
                }
                // Headers, a keep-alive comment and the empty role chunk reach the router; then the replica dies.
                ctx.Response.ContentType = "text/event-stream";
                await ctx.Response.WriteAsync(": ping\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n");
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(50);
                ctx.Abort();
            };
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = RouterTestBed.ChatBody("m", stream: true) };
        using var res = await bed.Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var text = await res.Content.ReadAsStringAsync();
        Assert.DoesNotContain(": ping", text); // nothing of the failed attempt reached the client
        Assert.Contains("\"content\":\"Hel\"", text);
        Assert.EndsWith("data: [DONE]\n\n", text);
        Assert.Equal(2, bed["a"].Requests + bed["b"].Requests);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task BreakerEjectsAfterConsecutiveFailuresAndRecoversAfterCooldown()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            circuit_breaker: {failures: 2, cooldown: 3s}
            retries: {max: 0}
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
            models:
              m: {}
            """, "a");
        var a = bed["a"];
        a.Script = (ctx, _) => FakeUpstream.Error(ctx, 500, "boom");
        using (var r = await bed.ChatAsync("m")) Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        using (var r = await bed.ChatAsync("m")) Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        using (var r = await bed.ChatAsync("m"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode); // ejected: not even tried
            Assert.Equal("upstream_unavailable", (await RouterTestBed.JsonOf(r))["error"]!["code"]!.GetValue<string>());
        }
        Assert.Equal(2, a.Requests);
        Assert.Contains("hearth_router_upstream_breaker_open{upstream=\"a\"} 1", await bed.Client.GetStringAsync("metrics"));
        using (var h = await bed.Client.GetAsync("health")) Assert.Equal(HttpStatusCode.ServiceUnavailable, h.StatusCode);

        a.Script = null; // healthy again
        // The open window is 3 s so a loaded machine still makes the checks above inside it.
        await Task.Delay(3100);
        using (var r = await bed.ChatAsync("m")) Assert.Equal(HttpStatusCode.OK, r.StatusCode); // the half-open probe
        Assert.Equal(3, a.Requests);
        var metrics = await bed.Client.GetStringAsync("metrics");
        Assert.Contains("hearth_router_upstream_breaker_open{upstream=\"a\"} 0", metrics);
        Assert.Contains("hearth_router_upstream_requests_total{upstream=\"a\"} 3", metrics);
        Assert.Contains("hearth_router_upstream_errors_total{upstream=\"a\"} 2", metrics);
        Assert.Contains("hearth_router_upstream_latency_seconds_count{upstream=\"a\"} 3", metrics);
    }

    [Fact]
    public async Task FailedProbeReopensTheBreaker()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            circuit_breaker: {failures: 1, cooldown: 2s}
            retries: {max: 0}
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
            models:
              m: {}
            """, "a");
        bed["a"].Script = (ctx, _) => FakeUpstream.Error(ctx, 503, "overloaded");
        using (var r = await bed.ChatAsync("m")) Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        await Task.Delay(2100);
        using (var r = await bed.ChatAsync("m")) Assert.Equal("overloaded", (await RouterTestBed.JsonOf(r))["error"]!["message"]!.GetValue<string>()); // probe, fails
        using (var r = await bed.ChatAsync("m")) Assert.Equal("upstream_unavailable", (await RouterTestBed.JsonOf(r))["error"]!["code"]!.GetValue<string>());
        Assert.Equal(2, bed["a"].Requests);
    }

    [Fact]
    public async Task FallsBackToTheNextModelOnContextOverflowAndOnUpstreamError()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            retries: {max: 1, backoff_ms: 1}
            upstreams:
              - {name: short, url: "{short}", models: {small: small-4k, flaky: flaky-id}}
              - {name: long, url: "{long}", models: {big: big-128k}}
            models:
              small: {fallback: [big]}
              flaky: {fallback: [big]}
              big: {}
            """, "short", "long");
        bed["short"].Script = (ctx, body) => body["model"]!.GetValue<string>() == "small-4k"
            ? FakeUpstream.Error(ctx, 400, "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens.", "context_length_exceeded")
            : FakeUpstream.Error(ctx, 502, "bad gateway");
        using (var r = await bed.ChatAsync("small", user: "a very long prompt"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("long", RouterTestBed.UpstreamOf(r));
            Assert.Equal("big", (await RouterTestBed.JsonOf(r))["model"]!.GetValue<string>()); // the model that answered, by its router name
            Assert.Equal("big-128k", bed["long"].Bodies.Last()["model"]!.GetValue<string>());
        }
        Assert.Equal(1, bed["short"].Requests); // context overflow is not retried on the same model
        using (var r = await bed.ChatAsync("flaky"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("long", RouterTestBed.UpstreamOf(r));
        }
        Assert.Equal(3, bed["short"].Requests); // 1 + (1 try + 1 retry) on flaky
        Assert.Equal(2, bed["long"].Requests);

        // An ordinary 400 is the client's problem: forwarded, no fallback.
        bed["short"].Script = (ctx, _) => FakeUpstream.Error(ctx, 400, "temperature must be <= 2");
        using (var r = await bed.ChatAsync("small"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("temperature must be <= 2", (await RouterTestBed.JsonOf(r))["error"]!["message"]!.GetValue<string>());
        }
        Assert.Equal(2, bed["long"].Requests);
    }

    [Fact]
    public async Task ActiveHealthChecksEjectAndReadmit()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            health_check: {interval: 50ms, timeout: 10s}
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
              - {name: b, url: "{b}", models: {m: m}}
            models:
              m: {}
            """, "a", "b");
        bed["a"].HealthStatus = 503;
        var a = bed.Router.State.Upstreams.Single(u => u.Name == "a");
        await WaitUntil(() => !a.Healthy);
        for (var i = 0; i < 6; i++)
            using (var r = await bed.ChatAsync("m")) Assert.Equal("b", RouterTestBed.UpstreamOf(r));
        Assert.Equal(0, bed["a"].Requests);
        Assert.Contains("\"name\":\"a\",\"healthy\":false", await bed.Client.GetStringAsync("health"));
        bed["a"].HealthStatus = 200;
        await WaitUntil(() => a.Healthy);
        var seen = new HashSet<string>();
        for (var i = 0; i < 6; i++)
            using (var r = await bed.ChatAsync("m")) seen.Add(RouterTestBed.UpstreamOf(r)!);
        Assert.Contains("a", seen);
    }

    internal static async Task WaitUntil(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}
