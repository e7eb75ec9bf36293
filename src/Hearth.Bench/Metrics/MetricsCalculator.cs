namespace Hearth.Bench.Metrics;

/// <summary>Turns recorded request timelines into level metrics. Pure: no clock, no I/O, so tests can feed
/// synthetic timelines and assert exact figures. Definitions (the ones vLLM's serving benchmark uses):
/// <list type="bullet">
/// <item>TTFT: send → first chunk that carries generated text.</item>
/// <item>TPOT: (E2EL − TTFT) / (output tokens − 1), per request, only for requests with more than one output
///   token (the first token's latency is TTFT's business).</item>
/// <item>ITL: every gap between successive content chunks, pooled over all requests.</item>
/// <item>E2EL: send → end of the stream.</item>
/// <item>Request throughput = completed / duration; output throughput = output tokens / duration; total token
///   throughput = (input + output tokens of completed requests) / duration.</item>
/// <item>Goodput = completed requests meeting every SLO / duration.</item>
/// </list></summary>
public static class MetricsCalculator
{
    /// <summary>The most distinct error messages kept per level.</summary>
    public const int MaxErrorsKept = 5;

    public static LevelMetrics Compute(IReadOnlyList<RequestTimeline> requests, double durationS, Slo? slo, int incomplete = 0)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (!(durationS > 0) || !double.IsFinite(durationS))
            throw new ArgumentOutOfRangeException(nameof(durationS), "duration must be a positive number of seconds");

        var ttfts = new List<double>();
        var tpots = new List<double>();
        var itls = new List<double>();
        var e2els = new List<double>();
        var errors = new List<string>();
        int completed = 0, failed = 0, good = 0;
        long input = 0, output = 0;

        int retries = 0;
        foreach (var r in requests)
        {
            retries += r.Retries;
            if (!r.Success)
            {
                failed++;
                if (r.Error is { } e && errors.Count < MaxErrorsKept && !errors.Contains(e)) errors.Add(e);
                continue;
            }
            completed++;
            int outTokens = r.OutputTokens;
            input += r.PromptTokens;
            output += outTokens;
            double ttft = r.Ttft;
            double tpot = 0;
            if (outTokens > 1)
            {
                tpot = (r.EndTime - ttft) / (outTokens - 1);
                tpots.Add(tpot);
            }
            for (int i = 1; i < r.ChunkTimes.Count; i++)
                itls.Add(r.ChunkTimes[i] - r.ChunkTimes[i - 1]);
            ttfts.Add(ttft);
            e2els.Add(r.EndTime);
            if (slo is not null && MeetsSlo(slo, ttft, tpot, r.EndTime)) good++;
        }

        return new LevelMetrics(
            completed, failed, incomplete, durationS, input, output,
            completed / durationS, output / durationS, (input + output) / durationS,
            slo is null ? null : good, slo is null ? null : good / durationS,
            Distribution.FromSeconds(ttfts), Distribution.FromSeconds(tpots),
            Distribution.FromSeconds(itls), Distribution.FromSeconds(e2els), errors, retries);
    }

    /// <summary>True when every objective given holds; times in seconds, objectives in milliseconds.</summary>
    public static bool MeetsSlo(Slo slo, double ttftS, double tpotS, double e2elS) =>
        (slo.TtftMs is not { } t || ttftS * 1000.0 <= t)
        && (slo.TpotMs is not { } p || tpotS * 1000.0 <= p)
        && (slo.E2elMs is not { } e || e2elS * 1000.0 <= e);
}
