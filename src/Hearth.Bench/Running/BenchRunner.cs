using Hearth.Bench.Client;
using Hearth.Bench.Metrics;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Running;

/// <summary>Runs the sweep: a warm-up per server, then every level in order; with two servers each level is run
/// against the first, then the second, with the same prompts, one server at a time so they never share the load.</summary>
public static class BenchRunner
{
    /// <summary>Warm-up requests may take this long (a server may load the model on the first request).</summary>
    private static readonly TimeSpan WarmupTimeout = TimeSpan.FromMinutes(5);

    public static async Task<BenchReport> RunAsync(BenchConfig config, WorkloadBuilder builder, IBenchObserver observer, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var clients = config.Targets.Select(t => new OpenAiStreamClient(t, config.Endpoint, config.IgnoreEos, config.ResponseFormatJson)).ToArray();
        try
        {
            var warmupErrors = new string?[clients.Length];
            var levels = config.Targets.Select(_ => new List<LevelResult>()).ToArray();
            var warm = builder.Build(Math.Max(1, config.Warmup), unchecked(config.Seed * 31 + 7));
            for (int t = 0; t < clients.Length && config.Warmup > 0; t++)
            {
                observer.WarmingUp(config.Targets[t]);
                warmupErrors[t] = await WarmUpAsync(clients[t], warm, config.Warmup, ct).ConfigureAwait(false);
            }
            for (int l = 0; l < config.Levels.Count; l++)
            {
                double level = config.Levels[l];
                int levelSeed = unchecked(config.Seed * 1_000_003 + l + 1);
                var plan = new LevelPlan(config.Mode, level, config.RequestsFor(level), config.Duration, levelSeed);
                var workload = builder.Build(plan.MaxRequests, levelSeed);
                for (int t = 0; t < clients.Length; t++)
                {
                    if (warmupErrors[t] is not null) continue;
                    var counters = new LevelCounters { Total = plan.MaxRequests };
                    observer.LevelStarted(config.Targets[t], plan, counters);
                    var outcome = await LevelRunner.RunAsync(clients[t].SendAsync, workload, plan, counters, ct).ConfigureAwait(false);
                    var metrics = MetricsCalculator.Compute(outcome.Requests, outcome.DurationS, config.Slo, outcome.CutOff);
                    var result = new LevelResult(plan, metrics, outcome.Requests);
                    levels[t].Add(result);
                    observer.LevelFinished(config.Targets[t], result);
                }
            }
            var targets = config.Targets.Select((t, i) => new TargetResult(t, levels[i], warmupErrors[i])).ToArray();
            return new BenchReport(config, builder.Note, started, targets);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>Sends the warm-up requests one at a time; returns the first error, or null when all succeeded.</summary>
    private static async Task<string?> WarmUpAsync(OpenAiStreamClient client, Workload warm, int count, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(WarmupTimeout);
        for (int i = 0; i < count; i++)
        {
            try
            {
                var r = await client.SendAsync(warm.Requests[i % warm.Requests.Count], 0, timeout.Token).ConfigureAwait(false);
                if (!r.Success) return r.Error;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return $"warm-up request did not finish within {WarmupTimeout.TotalMinutes:0} minutes";
            }
        }
        return null;
    }
}
