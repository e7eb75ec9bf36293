using Hearth.Bench.Running;

namespace Hearth.Bench.Reports;

/// <summary>First server ÷ second server, per level both ran. Above 1 means the first is higher: better for
/// throughputs, worse for latencies. Null where the second server's figure is zero.</summary>
public sealed record LevelRatio(double Level, double? RequestThroughput, double? OutputThroughput, double? TotalTokenThroughput,
    double? MedianTtft, double? P99Ttft, double? MeanTpot, double? P99Itl, double? P99E2el);

/// <summary>Computes <see cref="LevelRatio"/>s for a two-server report.</summary>
public static class Comparison
{
    public static IReadOnlyList<LevelRatio> Ratios(BenchReport report)
    {
        if (report.Targets.Count != 2) return [];
        var b = report.Targets[1].Levels.ToDictionary(l => l.Plan.Value);
        var list = new List<LevelRatio>();
        foreach (var la in report.Targets[0].Levels)
        {
            if (!b.TryGetValue(la.Plan.Value, out var lb)) continue;
            var x = la.Metrics;
            var y = lb.Metrics;
            list.Add(new LevelRatio(la.Plan.Value,
                Div(x.RequestThroughput, y.RequestThroughput), Div(x.OutputThroughput, y.OutputThroughput),
                Div(x.TotalTokenThroughput, y.TotalTokenThroughput), Div(x.Ttft.Median, y.Ttft.Median),
                Div(x.Ttft.P99, y.Ttft.P99), Div(x.Tpot.Mean, y.Tpot.Mean), Div(x.Itl.P99, y.Itl.P99), Div(x.E2el.P99, y.E2el.P99)));
        }
        return list;
    }

    private static double? Div(double a, double b) => b == 0 ? null : a / b;
}
