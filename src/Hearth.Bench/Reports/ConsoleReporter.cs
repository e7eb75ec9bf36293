using Hearth.Bench.Client;
using Hearth.Bench.Metrics;
using Hearth.Bench.Running;

namespace Hearth.Bench.Reports;

/// <summary>Console output: a progress line while a level runs (redrawn in place on a terminal; a plain line
/// every few seconds otherwise), a detailed block when each level ends, and a summary table at the end.</summary>
public sealed class ConsoleReporter(TextWriter output, bool interactive) : IBenchReporter
{
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(10);
    private readonly object _lock = new();
    private Timer? _timer;
    private int _lastWidth;

    public void WarmingUp(Target target)
    {
        lock (_lock) output.WriteLine($"[{target.Label}] warming up {target.EndpointUrl(EndpointKind.Chat).GetLeftPart(UriPartial.Authority)} (model {target.Model}) …");
    }

    public void LevelStarted(Target target, LevelPlan plan, LevelCounters counters)
    {
        var started = DateTime.UtcNow;
        lock (_lock)
        {
            output.WriteLine($"[{target.Label}] {plan.Label}: up to {plan.MaxRequests} requests, at most {plan.MaxDuration.TotalSeconds:0.#} s");
            _timer?.Dispose();
            _timer = new Timer(_ => Tick(target, plan, counters, started), null,
                interactive ? TimeSpan.FromMilliseconds(250) : PlainEvery, interactive ? TimeSpan.FromMilliseconds(250) : PlainEvery);
        }
    }

    private void Tick(Target target, LevelPlan plan, LevelCounters c, DateTime started)
    {
        var line = $"[{target.Label}] {plan.Label}: {c.Completed + c.Failed}/{c.Total} done, {c.Failed} failed, {c.InFlight} in flight, {(DateTime.UtcNow - started).TotalSeconds:0.0} s";
        lock (_lock)
        {
            if (_timer is null) return;
            if (interactive)
            {
                output.Write("\r" + line.PadRight(_lastWidth));
                _lastWidth = line.Length;
            }
            else output.WriteLine(line);
        }
    }

    public void LevelFinished(Target target, LevelResult result)
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            if (interactive && _lastWidth > 0) output.Write("\r" + new string(' ', _lastWidth) + "\r");
            _lastWidth = 0;
            output.Write(Detail(target, result));
        }
    }

    /// <summary>The block printed after each level: counts, throughputs and the latency distributions.</summary>
    public static string Detail(Target target, LevelResult result) => ReportBlock.Plain(DetailBlocks(target, result));

    internal static IReadOnlyList<ReportBlock> DetailBlocks(Target target, LevelResult result)
    {
        var m = result.Metrics;
        var head = $"== {target.Label} · {target.Model} · {result.Plan.Label} ==\n"
            + $"requests: {m.Completed} completed, {m.Failed} failed, {m.Incomplete} cut off at the deadline"
            + (m.Retries > 0 ? $", {m.Retries} retries after a failed connection" : "") + $"; duration {Fmt.F(m.DurationS, 2)} s\n"
            + $"tokens: {m.TotalInputTokens} in, {m.TotalOutputTokens} out; throughput {Fmt.F(m.RequestThroughput, 2)} req/s, "
            + $"{Fmt.F(m.OutputThroughput)} output tok/s, {Fmt.F(m.TotalTokenThroughput)} total tok/s"
            + (m.Goodput is { } g ? $"; goodput {Fmt.F(g, 2)} req/s ({m.GoodRequests} within SLO)" : "") + "\n";
        var table = new TextTable("latency (ms)", "mean", "median", "p90", "p99", "max", "n");
        void Row(string name, Distribution d) => table.Add(name, Fmt.F(d.Mean, 2), Fmt.F(d.Median, 2), Fmt.F(d.P90, 2), Fmt.F(d.P99, 2), Fmt.F(d.Max, 2), d.Count.ToString());
        Row("TTFT", m.Ttft);
        Row("TPOT", m.Tpot);
        Row("ITL", m.Itl);
        Row("E2EL", m.E2el);
        var blocks = new List<ReportBlock> { new(head), new(Table: table) };
        if (m.Errors.Count > 0) blocks.Add(new("errors (first distinct): " + string.Join(" | ", m.Errors) + "\n"));
        blocks.Add(new("\n"));
        return blocks;
    }

    /// <summary>One row per server and level, and with two servers a ratio table.</summary>
    public static string Summary(BenchReport report) => ReportBlock.Plain(SummaryBlocks(report));

    internal static IReadOnlyList<ReportBlock> SummaryBlocks(BenchReport report)
    {
        var mode = report.Config.Mode;
        bool slo = report.Config.Slo is not null;
        var headers = new List<string> { "server", Fmt.LevelName(mode), "ok", "fail", "req/s", "out tok/s", "total tok/s",
            "TTFT p50", "TTFT p99", "TPOT mean", "ITL p50", "ITL p99", "E2EL p99" };
        if (slo) headers.Add("goodput");
        var table = new TextTable([.. headers]);
        foreach (var t in report.Targets)
        {
            foreach (var l in t.Levels)
            {
                var m = l.Metrics;
                var cells = new List<string> { t.Target.Label, Fmt.Level(mode, l.Plan.Value), m.Completed.ToString(), m.Failed.ToString(),
                    Fmt.F(m.RequestThroughput, 2), Fmt.F(m.OutputThroughput), Fmt.F(m.TotalTokenThroughput), Fmt.F(m.Ttft.Median),
                    Fmt.F(m.Ttft.P99), Fmt.F(m.Tpot.Mean, 2), Fmt.F(m.Itl.Median, 2), Fmt.F(m.Itl.P99, 2), Fmt.F(m.E2el.P99) };
                if (slo) cells.Add(Fmt.F(m.Goodput ?? 0, 2));
                table.Add([.. cells]);
            }
        }
        var servers = string.Concat(report.Targets.Select(t => $"  {t.Target.Label} = {t.Target.BaseUrl} (model {t.Target.Model})\n"));
        var blocks = new List<ReportBlock> { new("Summary (latencies in ms)\n" + servers), new(Table: table) };
        var ratios = Comparison.Ratios(report);
        if (ratios.Count > 0)
        {
            var a = report.Targets[0].Target.Label;
            var b = report.Targets[1].Target.Label;
            var rt = new TextTable(Fmt.LevelName(mode), "req/s", "out tok/s", "total tok/s", "TTFT p50", "TTFT p99", "TPOT mean", "ITL p99", "E2EL p99");
            foreach (var r in ratios)
                rt.Add(Fmt.Level(mode, r.Level), Fmt.Ratio(r.RequestThroughput), Fmt.Ratio(r.OutputThroughput), Fmt.Ratio(r.TotalTokenThroughput),
                    Fmt.Ratio(r.MedianTtft), Fmt.Ratio(r.P99Ttft), Fmt.Ratio(r.MeanTpot), Fmt.Ratio(r.P99Itl), Fmt.Ratio(r.P99E2el));
            blocks.Add(new($"\nRatio {a} ÷ {b} (throughput: above 1 is better for {a}; latency: below 1 is better for {a})\n"));
            blocks.Add(new(Table: rt));
        }
        foreach (var t in report.Targets.Where(t => t.WarmupError is not null))
            blocks.Add(new($"\n[{t.Target.Label}] warm-up failed, no level was run: {t.WarmupError}\n"));
        return blocks;
    }

    public void WriteSummary(BenchReport report) => output.WriteLine(Summary(report));

    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }
}
