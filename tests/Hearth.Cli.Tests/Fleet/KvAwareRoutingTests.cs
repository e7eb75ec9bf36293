using Hearth.Cli.FleetBench;
using Xunit.Abstractions;

namespace Hearth.Cli.Tests.Fleet;

/// <summary>Cache-aware routing end to end: three real servers behind the real router, a multi-turn workload whose
/// turns share a growing prefix. kv-aware routing must keep nearly the prefix-cache hit rate of one server alone
/// (each conversation follows its cache), which round-robin cannot. Latencies are printed, not asserted (they are
/// benchmark figures: `hearth router bench-kv`).</summary>
public class KvAwareRoutingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KvAwareRoutingKeepsTheFleetsPrefixHitRateNearOneServersAndAboveRoundRobins()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        // Two conversations at once on three replicas: with as many at once as replicas, turns that arrive in a stable
        // order (A, B, C, A, B, C, …) let round-robin send each conversation to the same replica every turn by accident
        // (a CI run measured round-robin at 51 % against kv-aware's 59 %); two at once moves each conversation to another
        // replica every turn under round-robin however the turns interleave, unless the other one runs two turns in
        // between.
        var workload = new ConversationWorkload(Conversations: 9, Turns: 5, Concurrency: 2, MaxTokens: 16);
        var log = new StringWriter();
        var results = await KvRoutingBenchmark.RunAsync(workload, 3, InProcessServeFleet.ModelName, InProcessServeFleet.StartAsync, log, cts.Token);
        output.WriteLine(log.ToString());

        var (single, roundRobin, kvAware) = (results[0], results[1], results[2]);
        Assert.All(results, r => Assert.Equal(9 * 5, r.Requests));
        Assert.True(single.Cache.HitRate > 0.5, $"one server should reuse most of each growing prompt, got {single.Cache.HitRate:P1}");
        Assert.True(kvAware.Cache.HitRate >= 0.9 * single.Cache.HitRate,
            $"kv-aware {kvAware.Cache.HitRate:P1} should be at least 90 % of one server's {single.Cache.HitRate:P1}");
        Assert.True(kvAware.Cache.HitRate > roundRobin.Cache.HitRate + 0.1,
            $"kv-aware {kvAware.Cache.HitRate:P1} should beat round-robin {roundRobin.Cache.HitRate:P1} clearly");
    }
}
