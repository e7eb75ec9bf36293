using System.Net;
using System.Text;
using Hearth.Bench.Metrics;
using Hearth.Bench.Running;

namespace Hearth.Bench.Reports;

/// <summary>A self-contained HTML report: configuration, charts (inline SVG) of throughput and P99 latencies
/// against the sweep, a table per server, and with two servers a ratio table. No scripts, no external files.</summary>
public static class HtmlReport
{
    public static void Write(BenchReport report, string path) => File.WriteAllText(path, Render(report), new UTF8Encoding(false));

    public static string Render(BenchReport report)
    {
        var c = report.Config;
        var mode = c.Mode;
        var levels = c.Levels;
        var xs = levels.Select(l => Fmt.Level(mode, l)).ToList();
        var targets = report.Targets.Where(t => t.Levels.Count > 0).ToList();
        IReadOnlyList<SvgChart.Series> Series(Func<LevelMetrics, double> pick) => targets
            .Select(t => new SvgChart.Series($"{t.Target.Label} ({t.Target.BaseUrl.Authority})", levels
                .Select(l => t.Levels.FirstOrDefault(r => r.Plan.Value == l) is { } r ? pick(r.Metrics) : (double?)null).ToList()))
            .ToList();
        string xName = Fmt.LevelName(mode);

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>hearth bench</title><style>")
          .Append("body{font:14px system-ui,sans-serif;margin:24px;color:#111;max-width:1100px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}")
          .Append(".wide{overflow-x:auto}table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{padding:3px 7px;border-bottom:1px solid #ddd;text-align:right}")
          .Append("td:first-child,th:first-child{text-align:left}th{background:#f3f4f6}.charts{display:flex;flex-wrap:wrap;gap:12px}")
          .Append(".chart{border:1px solid #e5e7eb;border-radius:6px;background:#fff}.chart .t{font-weight:600;font-size:13px}")
          .Append(".chart .a{font-size:11px;fill:#374151}.chart .l{font-size:11px;fill:#6b7280}.chart .v{font-size:10px}")
          .Append(".chart .g{stroke:#e5e7eb}.note{color:#4b5563}dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px}dt{color:#6b7280}")
          .Append("</style></head><body>");
        sb.Append("<h1>hearth bench</h1><dl>");
        Def(sb, "started (UTC)", report.StartedUtc.ToString("yyyy-MM-dd HH:mm:ss"));
        foreach (var t in report.Targets)
            Def(sb, "server " + t.Target.Label, $"{t.Target.BaseUrl} · model {t.Target.Model}" + (t.WarmupError is { } e ? $" · warm-up failed: {e}" : ""));
        Def(sb, "sweep", $"{xName}: {string.Join(", ", xs)}; per level at most {(c.Requests?.ToString() ?? "default")} requests and {c.Duration.TotalSeconds:0.#} s");
        Def(sb, "workload", report.WorkloadNote + $"; max_tokens {c.Workload.OutputLenOverride ?? c.Workload.OutputLen}" + (c.IgnoreEos ? ", ignore_eos" : "") + $"; endpoint {c.Endpoint.ToString().ToLowerInvariant()}; seed {c.Seed}");
        if (c.Slo is { } slo) Def(sb, "SLO", slo.ToString() + " ms");
        sb.Append("</dl>");

        sb.Append("<h2>Charts</h2><div class=\"charts\">");
        sb.Append(SvgChart.Line("Output throughput", xName, "tokens/s", xs, Series(m => m.OutputThroughput)));
        sb.Append(SvgChart.Line("Request throughput", xName, "requests/s", xs, Series(m => m.RequestThroughput)));
        sb.Append(SvgChart.Line("P99 time to first token", xName, "ms", xs, Series(m => m.Ttft.P99)));
        sb.Append(SvgChart.Line("P99 inter-token latency", xName, "ms", xs, Series(m => m.Itl.P99)));
        sb.Append(SvgChart.Line("Median time to first token", xName, "ms", xs, Series(m => m.Ttft.Median)));
        sb.Append(SvgChart.Line("Mean time per output token", xName, "ms", xs, Series(m => m.Tpot.Mean)));
        sb.Append("</div>");

        foreach (var t in targets) TargetTable(sb, t, mode);
        Ratios(sb, report, mode);
        sb.Append("<h2>Definitions</h2><p class=\"note\">").Append(Esc(MetricDefinitions.Text).Replace("\n", "<br>")).Append("</p>");
        sb.Append("</body></html>");
        return sb.ToString();
    }

    private static void TargetTable(StringBuilder sb, TargetResult t, LoadMode mode)
    {
        sb.Append($"<h2>{Esc(t.Target.Label)}: {Esc(t.Target.Model)} at {Esc(t.Target.BaseUrl.ToString())}</h2><div class=\"wide\"><table><tr>");
        foreach (var h in new[] { Fmt.LevelName(mode), "completed", "failed", "cut off", "duration s", "req/s", "out tok/s", "total tok/s", "goodput",
                     "TTFT p50", "TTFT p99", "TPOT mean", "TPOT p99", "ITL p50", "ITL p99", "E2EL p50", "E2EL p99" })
            sb.Append("<th>").Append(Esc(h)).Append("</th>");
        sb.Append("</tr>");
        foreach (var l in t.Levels)
        {
            var m = l.Metrics;
            Row(sb, Fmt.Level(mode, l.Plan.Value), m.Completed.ToString(), m.Failed.ToString(), m.Incomplete.ToString(), Fmt.F(m.DurationS, 2),
                Fmt.F(m.RequestThroughput, 2), Fmt.F(m.OutputThroughput), Fmt.F(m.TotalTokenThroughput), m.Goodput is { } g ? Fmt.F(g, 2) : "–",
                Fmt.F(m.Ttft.Median), Fmt.F(m.Ttft.P99), Fmt.F(m.Tpot.Mean, 2), Fmt.F(m.Tpot.P99, 2),
                Fmt.F(m.Itl.Median, 2), Fmt.F(m.Itl.P99, 2), Fmt.F(m.E2el.Median), Fmt.F(m.E2el.P99));
        }
        sb.Append("</table></div><p class=\"note\">latencies in ms; every figure (means, p90, max, per-request timings) is in the --json output</p>");
        var errors = t.Levels.SelectMany(l => l.Metrics.Errors).Distinct().Take(5).ToList();
        if (errors.Count > 0) sb.Append("<p class=\"note\">errors: ").Append(Esc(string.Join(" | ", errors))).Append("</p>");
    }

    private static void Ratios(StringBuilder sb, BenchReport report, LoadMode mode)
    {
        var ratios = Comparison.Ratios(report);
        if (ratios.Count == 0) return;
        string a = report.Targets[0].Target.Label, b = report.Targets[1].Target.Label;
        sb.Append($"<h2>Ratio {Esc(a)} ÷ {Esc(b)}</h2><p class=\"note\">Throughput above 1× favours {Esc(a)}; latency below 1× favours {Esc(a)}.</p><table><tr>");
        foreach (var h in new[] { Fmt.LevelName(mode), "req/s", "out tok/s", "total tok/s", "TTFT p50", "TTFT p99", "TPOT mean", "ITL p99", "E2EL p99" })
            sb.Append("<th>").Append(Esc(h)).Append("</th>");
        sb.Append("</tr>");
        foreach (var r in ratios)
            Row(sb, Fmt.Level(mode, r.Level), Fmt.Ratio(r.RequestThroughput), Fmt.Ratio(r.OutputThroughput), Fmt.Ratio(r.TotalTokenThroughput),
                Fmt.Ratio(r.MedianTtft), Fmt.Ratio(r.P99Ttft), Fmt.Ratio(r.MeanTpot), Fmt.Ratio(r.P99Itl), Fmt.Ratio(r.P99E2el));
        sb.Append("</table>");
    }

    private static void Row(StringBuilder sb, params string[] cells)
    {
        sb.Append("<tr>");
        foreach (var c in cells) sb.Append("<td>").Append(Esc(c)).Append("</td>");
        sb.Append("</tr>");
    }

    private static void Def(StringBuilder sb, string term, string value) =>
        sb.Append("<dt>").Append(Esc(term)).Append("</dt><dd>").Append(Esc(value)).Append("</dd>");

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
