using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hearth.Router.Config;
using Hearth.Router.KvRouting;
using Hearth.Router.Routing;
using Microsoft.AspNetCore.Http;

namespace Hearth.Router.Tests;

/// <summary>kv-aware routing: the router follows each replica's /v1/kv_events stream, asks a replica for the prompt's
/// block hashes, and sends the request where the longest prefix is cached unless that replica is much busier.</summary>
public class KvRoutingTests
{
    private const string Yaml = """
        upstreams:
          - {name: a, url: "{a}", models: {m: tiny}}
          - {name: b, url: "{b}", models: {m: tiny}}
          - {name: c, url: "{c}", models: {m: tiny}}
        models:
          m: {policy: kv-aware}
        """;

    private static readonly ulong[] Prompt = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];

    private static string Hex(IEnumerable<ulong> hashes) => "[" + string.Join(",", hashes.Select(h => $"\"{h:x16}\"")) + "]";

    /// <summary>A replica's event stream: a snapshot of <paramref name="cached"/>, then load events every 100 ms
    /// reporting <paramref name="running"/> until the router leaves (or, when <paramref name="endAfterSnapshot"/>,
    /// the stream ends at once).</summary>
    private static Func<HttpContext, Task> Events(IEnumerable<ulong> cached, int running = 0, bool endAfterSnapshot = false) => async ctx =>
    {
        ctx.Response.ContentType = "text/event-stream";
        await ctx.Response.WriteAsync($"event: snapshot\ndata: {{\"model\":\"tiny\",\"block_size\":16,\"hashes\":{Hex(cached)}}}\n\n");
        await ctx.Response.Body.FlushAsync();
        if (endAfterSnapshot) return;
        try
        {
            while (!ctx.RequestAborted.IsCancellationRequested)
            {
                await ctx.Response.WriteAsync($"event: load\ndata: {{\"loaded\":true,\"running\":{running},\"waiting\":0,\"kv_usage\":0.1}}\n\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(100, ctx.RequestAborted);
            }
        }
        catch (OperationCanceledException) { }
    };

    /// <summary>Answers /v1/prefix_hashes with <see cref="Prompt"/>'s hashes and generation requests as usual.</summary>
    private static Func<HttpContext, JsonObject, Task> Answers(string name) => async (ctx, body) =>
    {
        if (ctx.Request.Path.Value!.EndsWith("/prefix_hashes", StringComparison.Ordinal))
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync($"{{\"model\":\"tiny\",\"block_size\":16,\"prompt_tokens\":140,\"hashes\":{Hex(Prompt)}}}");
        }
        else await FakeUpstream.DefaultAnswer(ctx, body, name);
    };

    private static async Task WaitLiveAsync(RouterTestBed bed, int count)
    {
        var tracker = bed.Router.State.PrefixCache!;
        for (var i = 0; i < 300; i++)
        {
            if (tracker.Indexes(bed.Router.State.Upstreams).Count(x => x.Index.IsLive(RouterState.NowMs)) >= count) return;
            await Task.Delay(50);
        }
        Assert.Fail($"fewer than {count} replicas' events became live within 15 s");
    }

    private static async Task<RouterTestBed> StartAsync(Action<RouterTestBed> script, int live)
    {
        var bed = await RouterTestBed.StartAsync(Yaml, "a", "b", "c");
        foreach (var u in bed.Upstreams) u.Script = Answers(u.Name);
        script(bed);
        await WaitLiveAsync(bed, live);
        return bed;
    }

    [Fact]
    public async Task RequestsGoToTheReplicaHoldingTheLongestPrefix()
    {
        await using var bed = await StartAsync(b =>
        {
            b["a"].KvEvents = Events(Prompt[..2]);
            b["b"].KvEvents = Events(Prompt[..6]);
            b["c"].KvEvents = Events([0x99, .. Prompt[1..]]); // holds later blocks but not the first: worth nothing
        }, live: 3);
        for (var i = 0; i < 6; i++)
        {
            var res = await bed.ChatAsync("m", "a long story");
            res.EnsureSuccessStatusCode();
            Assert.Equal("b", RouterTestBed.UpstreamOf(res));
        }
        var metrics = await bed.Client.GetStringAsync("metrics");
        Assert.Contains("hearth_router_prefix_routed_total{upstream=\"b\"} 6", metrics);
        Assert.Contains("hearth_router_prefix_query_blocks_total{upstream=\"b\"} 48", metrics);
        Assert.Contains("hearth_router_prefix_hit_blocks_total{upstream=\"b\"} 36", metrics);
        Assert.Contains("hearth_router_prefix_hit_rate{upstream=\"b\"} 0.75", metrics);
        Assert.Contains("hearth_router_kv_index_blocks{upstream=\"b\",model=\"tiny\"} 6", metrics);
        Assert.Contains("hearth_router_kv_index_live{upstream=\"a\",model=\"tiny\"} 1", metrics);
        Assert.Contains("hearth_router_kv_fallback_total 0", metrics);
    }

    [Fact]
    public async Task ABusyReplicaLosesToACooler()
    {
        // b holds 6 of 8 blocks but reports 10 running requests: 2 + 0.25 × 10 × 8 = 22 blocks of cost, against 8 - 2 = 6 on a.
        await using var bed = await StartAsync(b =>
        {
            b["a"].KvEvents = Events(Prompt[..2]);
            b["b"].KvEvents = Events(Prompt[..6], running: 10);
            b["c"].KvEvents = Events([]);
        }, live: 3);
        await WaitForLoadAsync(bed, "b", 10);
        var res = await bed.ChatAsync("m");
        res.EnsureSuccessStatusCode();
        Assert.Equal("a", RouterTestBed.UpstreamOf(res));
    }

    private static async Task WaitForLoadAsync(RouterTestBed bed, string upstream, int running)
    {
        var state = bed.Router.State;
        for (var i = 0; i < 200; i++)
        {
            var index = state.PrefixCache!.IndexOf(state.Upstreams.Single(u => u.Name == upstream), "m");
            if (index?.Running == running) return;
            await Task.Delay(50);
        }
        Assert.Fail($"{upstream}'s load events did not arrive");
    }

    [Fact]
    public async Task WithoutEventsOrHashesRoutingFallsBackToLeastOutstanding()
    {
        // No replica serves kv_events (404): every request is a fallback, and all replicas share the load.
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a", "b", "c");
        foreach (var u in bed.Upstreams) u.Script = Answers(u.Name);
        var seen = new HashSet<string>();
        for (var i = 0; i < 9; i++)
        {
            var res = await bed.ChatAsync("m");
            res.EnsureSuccessStatusCode();
            seen.Add(RouterTestBed.UpstreamOf(res)!);
        }
        Assert.Equal(3, seen.Count);
        Assert.Contains("hearth_router_kv_fallback_total 9", await bed.Client.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task AStreamThatEndsIsForgottenAndFollowedAgain()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a", "b", "c");
        var opened = 0;
        bed["a"].KvEvents = ctx =>
        {
            Interlocked.Increment(ref opened);
            return Events(Prompt, endAfterSnapshot: true)(ctx);
        };
        for (var i = 0; i < 200 && Volatile.Read(ref opened) < 2; i++) await Task.Delay(50);
        Assert.True(Volatile.Read(ref opened) >= 2, "the router should reconnect after the stream ends");

        // While reconnecting, what the ended stream said is forgotten; a stream that stays open is followed again.
        bed["a"].KvEvents = Events(Prompt[..3]);
        await WaitLiveAsync(bed, 1);
        var index = bed.Router.State.PrefixCache!.IndexOf(bed.Router.State.Upstreams.Single(u => u.Name == "a"), "m")!;
        Assert.Equal(3, index.Count);
        Assert.Equal(3, index.MatchedBlocks(Prompt));
    }

    [Fact]
    public void TheCostWeighsCachedBlocksAgainstLoad()
    {
        var config = new ModelConfig("m", RoutingPolicy.KvAware, [], 256, LoadWeight: 0.25);
        var breaker = new CircuitBreakerConfig(3, TimeSpan.FromSeconds(30));
        var replicas = new[] { "a", "b" }.Select(n => new UpstreamState(new UpstreamConfig(n, new Uri($"http://{n}/v1/"), null,
            new Dictionary<string, string> { ["m"] = "tiny" }), breaker)).ToList();
        var indexes = replicas.ToDictionary(r => r, _ => new ReplicaPrefixIndex());
        var now = RouterState.NowMs;
        indexes[replicas[0]].ApplySnapshot(16, Prompt[..1], now);
        indexes[replicas[1]].ApplySnapshot(16, Prompt[..7], now);
        var route = new ModelRoute(config, replicas);

        var choice = new CacheAwareChoice(Prompt, r => indexes[r]);
        var picked = route.Pick(null, new HashSet<UpstreamState>(), now, choice)!;
        Assert.Equal("b", picked.Name);
        Assert.Equal(7, choice.MatchedBlocks);
        Assert.True(choice.AnyLive);

        // Four requests in flight on b: 1 + 0.25 × 4 × 8 = 9 blocks of cost against 7 to compute on a, so a wins.
        for (var i = 0; i < 4; i++) replicas[1].Enter();
        Assert.Equal("a", route.Pick(null, new HashSet<UpstreamState>(), now, new CacheAwareChoice(Prompt, r => indexes[r]))!.Name);

        // Nearly full KV cache on a: its cost grows by the prompt's blocks.
        indexes[replicas[0]].ApplyLoad(0, 0, 0.99, now);
        Assert.Equal("b", route.Pick(null, new HashSet<UpstreamState>(), now, new CacheAwareChoice(Prompt, r => indexes[r]))!.Name);

        // An index that went quiet is not trusted: both count as cold, the least outstanding (a) wins.
        var later = now + ReplicaPrefixIndex.StaleAfterMs + 1;
        var stale = new CacheAwareChoice(Prompt, r => indexes[r]);
        Assert.Equal("a", route.Pick(null, new HashSet<UpstreamState>(), later, stale)!.Name);
        Assert.False(stale.AnyLive);
    }

    [Fact]
    public void RoundRobinTakesEachReplicaInTurnWhateverItsLoad()
    {
        var breaker = new CircuitBreakerConfig(3, TimeSpan.FromSeconds(30));
        var replicas = new[] { "a", "b", "c" }.Select(n => new UpstreamState(new UpstreamConfig(n, new Uri($"http://{n}/v1/"), null,
            new Dictionary<string, string> { ["m"] = "m" }), breaker)).ToList();
        for (var i = 0; i < 5; i++) replicas[0].Enter(); // busy, still gets its turn
        var route = new ModelRoute(new ModelConfig("m", RoutingPolicy.RoundRobin, [], 256), replicas);
        var picks = Enumerable.Range(0, 6).Select(_ => route.Pick(null, new HashSet<UpstreamState>(), RouterState.NowMs)!.Name).ToList();
        Assert.Equal(2, picks.Count(p => p == "a"));
        Assert.Equal(2, picks.Count(p => p == "b"));
        Assert.Equal(2, picks.Count(p => p == "c"));
    }

    [Theory]
    [InlineData("m: {policy: kv-aware, load_weight: -1}", "load_weight must be a number")]
    [InlineData("m: {policy: kv-aware, load_weight: x}", "load_weight must be a number")]
    [InlineData("m: {policy: least-outstanding, load_weight: 1}", "applies to policy kv-aware only")]
    [InlineData("m: {policy: fastest}", "unknown policy 'fastest'")]
    public void BadPolicySettingsAreRefused(string model, string message)
    {
        var yaml = $"upstreams:\n  - {{name: a, url: \"http://127.0.0.1:1/v1\", models: {{m: m}}}}\nmodels:\n  {model}\n";
        var e = Assert.Throws<RouterConfigException>(() => RouterConfigLoader.Parse(yaml));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void PoliciesParse()
    {
        var yaml = "upstreams:\n  - {name: a, url: \"http://127.0.0.1:1/v1\", models: {m: m, n: n}}\nmodels:\n  m: {policy: kv-aware, load_weight: 1.5}\n  n: {policy: round-robin}\n";
        var c = RouterConfigLoader.Parse(yaml);
        Assert.Equal(RoutingPolicy.KvAware, c.Models["m"].Policy);
        Assert.Equal(1.5, c.Models["m"].LoadWeight);
        Assert.Equal(RoutingPolicy.RoundRobin, c.Models["n"].Policy);
    }
}
