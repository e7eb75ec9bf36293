using Hearth.Bench.Client;
using Hearth.Bench.Metrics;

namespace Hearth.Bench.Running;

/// <summary>One level's outcome for one server: its plan, its metrics and the raw timelines behind them.</summary>
public sealed record LevelResult(LevelPlan Plan, LevelMetrics Metrics, IReadOnlyList<RequestTimeline> Requests);

/// <summary>One server's sweep. <see cref="WarmupError"/> is set when the warm-up request failed, in which
/// case no level was run against it.</summary>
public sealed record TargetResult(Target Target, IReadOnlyList<LevelResult> Levels, string? WarmupError);

/// <summary>Everything a benchmark produced; what the JSON and HTML reports are written from.</summary>
public sealed record BenchReport(BenchConfig Config, string WorkloadNote, DateTimeOffset StartedUtc, IReadOnlyList<TargetResult> Targets);

/// <summary>Receives progress while a benchmark runs (console display); all methods are optional no-ops.</summary>
public interface IBenchObserver
{
    void WarmingUp(Target target) { }
    void LevelStarted(Target target, LevelPlan plan, LevelCounters counters) { }
    void LevelFinished(Target target, LevelResult result) { }
}
