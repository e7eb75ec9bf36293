using Hearth.Store;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hearth.Cli.Support;

/// <summary>Pull progress on a terminal: a Spectre.Console live display with one row per status, the way Ollama's
/// pull reads. A download row (a status with a size) has a bar, percentage, bytes done/total, speed and ETA; a step
/// without a size ("pulling manifest", "writing manifest", "success") is a row with its text only. Reports come from the
/// download's thread; Spectre redraws from its own, so rows are updated under <see cref="_gate"/>.</summary>
internal sealed class LivePullProgress : IProgress<PullProgress>
{
    private const string HasSize = "size";
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProgressTask> _rows = [];
    private readonly TaskCompletionSource<ProgressContext> _context = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _display;

    public LivePullProgress(IAnsiConsole console)
    {
        _display = console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new SizedOnly(new PercentageColumn()),
                new SizedOnly(new ProgressBarColumn { Width = 30 }),
                new SizedOnly(new DownloadedColumn { Base = FileSizeBase.Decimal }),
                new SizedOnly(new TransferSpeedColumn { Base = FileSizeBase.Decimal }),
                new SizedOnly(new RemainingTimeColumn()))
            .StartAsync(async context =>
            {
                _context.SetResult(context);
                await _done.Task;
                context.Refresh();
            });
    }

    public void Report(PullProgress p)
    {
        var context = _context.Task.GetAwaiter().GetResult();
        lock (_gate)
        {
            if (_done.Task.IsCompleted) return;
            bool sized = p.Total is > 0 && p.Completed is not null;
            if (!_rows.TryGetValue(p.Status, out var row))
            {
                row = context.AddTask(Markup.Escape(p.Status), autoStart: true, maxValue: sized ? p.Total!.Value : 1);
                row.State.Update<bool>(HasSize, _ => sized);
                _rows.Add(p.Status, row);
                if (!sized) row.Value = 1;
            }
            if (!sized) return;
            row.MaxValue = p.Total!.Value;
            row.Value = Math.Min(p.Completed!.Value, p.Total.Value);
        }
    }

    /// <summary>Draws the last frame and ends the display (waits for Spectre's render thread to finish). Idempotent.</summary>
    public void Finish()
    {
        lock (_gate) _done.TrySetResult();
        _display.GetAwaiter().GetResult();
    }

    /// <summary>A column that renders only on rows with a size (downloads); step rows leave it blank.</summary>
    private sealed class SizedOnly(ProgressColumn inner) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.State.Get<bool>(HasSize) ? inner.Render(options, task, deltaTime) : Text.Empty;

        public override int? GetColumnWidth(RenderOptions options) => inner.GetColumnWidth(options);
    }
}
