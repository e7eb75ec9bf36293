using System.Diagnostics;
using System.Globalization;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using Hearth.Router.KvRouting;

namespace Hearth.Cli.FleetBench;

/// <summary>One scenario's figures: the fleet's prefix-cache hit rate (tokens served from cache / prompt tokens
/// looked up, summed over replicas) and the client-side latencies.</summary>
public sealed record FleetRunResult(string Scenario, int Replicas, PrefixCacheTotals Cache, double TtftP50Ms, double TtftP99Ms,
    double OutputTokensPerSecond, int Requests, TimeSpan Wall);

/// <summary>Cache-aware routing against its baselines on the same multi-turn workload, each on a fresh fleet (cold
/// caches): one server alone (the hit rate a fleet should approach), N replicas behind the router with round-robin,
/// and N replicas behind the router with kv-aware routing.</summary>
public static class KvRoutingBenchmark
{
    public delegate Task<IServeFleet> FleetStarter(int replicas, CancellationToken ct);

    public static async Task<IReadOnlyList<FleetRunResult>> RunAsync(ConversationWorkload workload, int replicas, string model,
        FleetStarter startFleet, TextWriter output, CancellationToken ct)
    {
        output.WriteLine($"kv-aware routing bench: {workload.Conversations} conversations × {workload.Turns} turns, " +
                         $"{workload.Concurrency} at once, max_tokens {workload.MaxTokens}, {replicas} replicas ({Environment.ProcessorCount} cores)");
        var results = new List<FleetRunResult>
        {
            await RunScenarioAsync("one server", 1, null, workload, model, startFleet, ct),
            await RunScenarioAsync("round-robin", replicas, RoutingPolicy.RoundRobin, workload, model, startFleet, ct),
            await RunScenarioAsync("kv-aware", replicas, RoutingPolicy.KvAware, workload, model, startFleet, ct),
        };
        output.WriteLine($"  {"scenario",-12} {"replicas",8} {"prefix hit",10} {"vs one",7} {"TTFT p50",9} {"TTFT p99",9} {"out tok/s",9}");
        var single = results[0].Cache.HitRate;
        foreach (var r in results)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Scenario,-12} {r.Replicas,8} {r.Cache.HitRate,10:P1} {(single == 0 ? 0 : r.Cache.HitRate / single),7:F2} {r.TtftP50Ms,7:F1}ms {r.TtftP99Ms,7:F1}ms {r.OutputTokensPerSecond,9:F1}"));
        return results;
    }

    private static async Task<FleetRunResult> RunScenarioAsync(string name, int replicas, RoutingPolicy? policy, ConversationWorkload workload,
        string model, FleetStarter startFleet, CancellationToken ct)
    {
        await using var fleet = await startFleet(replicas, ct);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false }) { Timeout = TimeSpan.FromMinutes(5) };
        RouterHost? router = null;
        try
        {
            Uri chatUrl;
            var requestModel = model;
            if (policy is { } p)
            {
                var yaml = "upstreams:\n" + string.Concat(fleet.Origins.Select((o, i) => $"  - {{name: r{i}, url: \"{o}v1\", models: {{bench: \"{model}\"}}}}\n"))
                         + $"models:\n  bench: {{policy: {(p == RoutingPolicy.KvAware ? "kv-aware" : "round-robin")}}}\n";
                router = await RouterHost.StartAsync(RouterConfigLoader.Parse(yaml, "kv-bench"), ct: ct);
                if (router.State.PrefixCache is { } tracker) await WaitLiveAsync(router, tracker, ct);
                chatUrl = new Uri(router.Address, "v1/chat/completions");
                requestModel = "bench";
            }
            else chatUrl = new Uri(fleet.Origins[0], "v1/chat/completions");

            var wall = Stopwatch.StartNew();
            var turns = await workload.RunAsync(http, chatUrl, requestModel, ct);
            wall.Stop();
            var cache = await PrefixCacheTotals.ReadAsync(http, fleet.Origins, ct);
            var ttft = turns.Select(t => t.TimeToFirstToken.TotalMilliseconds).Order().ToArray();
            return new FleetRunResult(name, replicas, cache, Percentile(ttft, 0.5), Percentile(ttft, 0.99),
                turns.Sum(t => t.CompletionTokens) / wall.Elapsed.TotalSeconds, turns.Count, wall.Elapsed);
        }
        finally
        {
            if (router is not null) await router.DisposeAsync();
        }
    }

    /// <summary>Waits (up to 30 s) until the router follows every replica's events, so the run measures routing, not start-up.</summary>
    private static async Task WaitLiveAsync(RouterHost router, PrefixCacheTracker tracker, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var indexes = tracker.Indexes(router.State.Upstreams).ToList();
            if (indexes.Count == router.State.Upstreams.Count && indexes.All(i => i.Index.IsLive(Router.RouterState.NowMs))) return;
            if (sw.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the router did not receive every replica's kv_events within 30 s");
            await Task.Delay(50, ct);
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
