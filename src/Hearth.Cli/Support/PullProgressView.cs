using Hearth.Store;
using Spectre.Console;

namespace Hearth.Cli.Support;

/// <summary>Shows pull progress: on a terminal a live Spectre.Console display with one row per layer (bar, size,
/// speed, ETA) and one per step ("pulling manifest", "verifying sha256 digest", …); otherwise plain lines (each status
/// once, download progress at every 10 %), so logs stay readable. Call <see cref="Finish"/> when the pull ends.</summary>
internal sealed class PullProgressView : IProgress<PullProgress>, IDisposable
{
    private readonly IProgress<PullProgress> _view;

    public PullProgressView(TextWriter output, bool terminal) : this(output, terminal ? LiveConsole.For(output) : null) { }

    /// <summary>With a console the live display draws on it; without one the plain lines go to <paramref name="output"/>.</summary>
    internal PullProgressView(TextWriter output, IAnsiConsole? console) =>
        _view = console is null ? new PlainPullProgress(output) : new LivePullProgress(console);

    public void Report(PullProgress value) => _view.Report(value);

    /// <summary>Ends the display: the live one draws its last frame and gives the console back. Idempotent.</summary>
    public void Finish()
    {
        if (_view is LivePullProgress live) live.Finish();
    }

    public void Dispose() => Finish();
}
