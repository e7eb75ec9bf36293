using System.Net;
using System.Text.Json.Nodes;

namespace Hearth.Router.Tests;

public class RoutingTests
{
    [Fact]
    public async Task RoutesByModelRewritesModelIdAndInjectsUpstreamKey()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            upstreams:
              - {name: a, url: "{a}", api_key: key-a, models: {small: qwen-0.5b}}
              - {name: b, url: "{b}", models: {large: llama-8b}}
            models:
              small: {}
              large: {}
            """, "a", "b");
        using var r1 = await bed.ChatAsync("small", key: "client-secret");
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        Assert.Equal("a", RouterTestBed.UpstreamOf(r1));
        Assert.Equal("small", (await RouterTestBed.JsonOf(r1))["model"]!.GetValue<string>()); // the client's name back
        Assert.Equal("qwen-0.5b", bed["a"].Bodies.Single()["model"]!.GetValue<string>()); // the upstream's id sent
        using var r2 = await bed.ChatAsync("large");
        Assert.Equal("b", RouterTestBed.UpstreamOf(r2));
        Assert.Equal("large", (await RouterTestBed.JsonOf(r2))["model"]!.GetValue<string>());
        Assert.Equal("llama-8b", bed["b"].Bodies.Single()["model"]!.GetValue<string>());

        Assert.Equal(1, bed["a"].Requests);
        Assert.Equal(1, bed["b"].Requests);
        Assert.True(bed["a"].AuthHeaders.TryPeek(out var authA));
        Assert.Equal("Bearer key-a", authA); // the client's bearer is replaced by the upstream's key
        Assert.True(bed["b"].AuthHeaders.TryPeek(out var authB));
        Assert.Equal("", authB);

        using var unknown = await bed.ChatAsync("gpt-9");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("model_not_found", (await RouterTestBed.JsonOf(unknown))["error"]!["code"]!.GetValue<string>());

        var models = (JsonObject)JsonNode.Parse(await bed.Client.GetStringAsync("v1/models"))!;
        Assert.Equal(["large", "small"], models["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task LeastOutstandingSendsFewerRequestsToTheSlowReplica()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            upstreams:
              - {name: slow, url: "{slow}", models: {m: m}}
              - {name: fast, url: "{fast}", models: {m: m}}
            models:
              m: {policy: least-outstanding}
            """, "slow", "fast");
        bed["slow"].DelayMs = 400; // far slower than the fast one even when a loaded machine adds its own delays
        bed["fast"].DelayMs = 5;
        const int total = 48, concurrency = 6;
        var next = 0;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= total)
            {
                using var r = await bed.ChatAsync("m");
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
        });
        await Task.WhenAll(workers);
        Assert.Equal(total, bed["slow"].Requests + bed["fast"].Requests);
        // The slow replica holds each request ~80x longer, so it should get a small share (round robin would give it 24).
        Assert.True(bed["slow"].Requests * 3 < bed["fast"].Requests, $"slow {bed["slow"].Requests}, fast {bed["fast"].Requests}");
        Assert.Equal(0, bed.Router.State.Upstreams.Sum(u => u.Outstanding));
    }

    [Fact]
    public async Task PrefixAffinityKeepsASharedPrefixOnOneReplicaAndSpreadsOthers()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
              - {name: b, url: "{b}", models: {m: m}}
              - {name: c, url: "{c}", models: {m: m}}
            models:
              m: {policy: prefix-affinity, prefix_chars: 48}
            """, "a", "b", "c");
        const string system = "You are a careful assistant for the Hearth project. Answer briefly.";
        var served = new HashSet<string>();
        for (var i = 0; i < 12; i++)
        {
            using var r = await bed.ChatAsync("m", user: $"question {i}", system: system);
            served.Add(RouterTestBed.UpstreamOf(r)!);
        }
        var owner = Assert.Single(served);

        var spread = new Dictionary<string, int>();
        for (var i = 0; i < 30; i++)
        {
            using var r = await bed.ChatAsync("m", user: "q", system: $"Persona number {i}: a distinct system prompt.");
            var up = RouterTestBed.UpstreamOf(r)!;
            spread[up] = spread.GetValueOrDefault(up) + 1;
        }
        Assert.Equal(3, spread.Count);

        // Eject the owner: the prefix moves to the next ring node, and stays there.
        await bed[owner].StopAsync();
        var after = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var r = await bed.ChatAsync("m", user: $"again {i}", system: system);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            after.Add(RouterTestBed.UpstreamOf(r)!);
        }
        Assert.NotEqual(owner, Assert.Single(after));
    }
}
