namespace Hearth.Bench.Metrics;

/// <summary>Every figure for one load level (one concurrency or one request rate). Throughputs divide by
/// <see cref="DurationS"/>, the level's wall time from its first send until its last request ended.
/// Latency distributions are in milliseconds and cover completed requests only.</summary>
public sealed record LevelMetrics(
    int Completed,
    int Failed,
    int Incomplete,
    double DurationS,
    long TotalInputTokens,
    long TotalOutputTokens,
    double RequestThroughput,
    double OutputThroughput,
    double TotalTokenThroughput,
    int? GoodRequests,
    double? Goodput,
    Distribution Ttft,
    Distribution Tpot,
    Distribution Itl,
    Distribution E2el,
    IReadOnlyList<string> Errors,
    int Retries = 0);
