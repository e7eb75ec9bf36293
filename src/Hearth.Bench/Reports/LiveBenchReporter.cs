using Hearth.Bench.Client;
using Hearth.Bench.Running;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hearth.Bench.Reports;

/// <summary>`hearth bench` on a terminal, with Spectre.Console: while a level runs, a live row (bar, requests done of
/// planned, failures, in flight, elapsed) redrawn four times a second; when it ends, its detail with the latency table;
/// at the end, the summary and ratio tables. The cells are the plain reporter's (<see cref="ConsoleReporter"/>).</summary>
public sealed class LiveBenchReporter(IAnsiConsole console) : IBenchReporter
{
    private readonly Lock _gate = new();
    private LiveLevel? _level;

    public void WarmingUp(Target target) =>
        console.Write(new Text($"[{target.Label}] warming up {target.EndpointUrl(EndpointKind.Chat).GetLeftPart(UriPartial.Authority)} (model {target.Model}) …\n"));

    public void LevelStarted(Target target, LevelPlan plan, LevelCounters counters)
    {
        lock (_gate)
        {
            _level?.Stop();
            _level = new LiveLevel(console, $"[{target.Label}] {plan.Label}", counters);
        }
    }

    public void LevelFinished(Target target, LevelResult result)
    {
        StopLevel();
        Write(ConsoleReporter.DetailBlocks(target, result));
    }

    public void WriteSummary(BenchReport report) => Write(ConsoleReporter.SummaryBlocks(report));

    public void Dispose() => StopLevel();

    private void StopLevel()
    {
        LiveLevel? level;
        lock (_gate) (level, _level) = (_level, null);
        level?.Stop();
    }

    private void Write(IEnumerable<ReportBlock> blocks)
    {
        foreach (var block in blocks)
            console.Write(block.Table is { } table ? ToSpectre(table) : new Text(block.Text!));
    }

    /// <summary>A bordered table with a bold header; numbers right-aligned as in the plain table.</summary>
    internal static Table ToSpectre(TextTable source)
    {
        var table = new Table().Border(TableBorder.Rounded);
        for (int i = 0; i < source.Headers.Count; i++)
        {
            var column = new TableColumn(new Markup("[bold]" + Markup.Escape(source.Headers[i]) + "[/]")).NoWrap();
            table.AddColumn(i == 0 ? column.LeftAligned() : column.RightAligned());
        }
        foreach (var row in source.Rows) table.AddRow(row.Select(c => (IRenderable)new Text(c)).ToArray());
        return table;
    }

    /// <summary>The live row of one running level; the display runs until <see cref="Stop"/> and then clears itself.</summary>
    private sealed class LiveLevel
    {
        private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _display;

        public LiveLevel(IAnsiConsole console, string label, LevelCounters counters)
        {
            _display = console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 30 },
                    new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var row = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, counters.Total));
                    do
                    {
                        int done = counters.Completed + counters.Failed;
                        row.Value = done;
                        row.Description = Markup.Escape($"{label}: {done}/{counters.Total} done, {counters.Failed} failed, {counters.InFlight} in flight");
                    }
                    while (await Task.WhenAny(_stop.Task, Task.Delay(250)) != _stop.Task);
                });
        }

        public void Stop()
        {
            _stop.TrySetResult();
            _display.GetAwaiter().GetResult();
        }
    }
}
