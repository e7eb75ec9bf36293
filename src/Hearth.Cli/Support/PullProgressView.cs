using System.Diagnostics;
using Hearth.Store;

namespace Hearth.Cli.Support;

/// <summary>Shows pull progress: on a terminal a redrawn bar with size, speed and ETA; otherwise plain lines
/// (each status once, download progress at every 10 %), so logs stay readable.</summary>
internal sealed class PullProgressView(TextWriter output, bool terminal) : IProgress<PullProgress>
{
    private const int BarWidth = 30;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string? _status;
    private int _lastDecile = -1;
    private (double Seconds, long Bytes) _start;
    private bool _barOpen;
    private readonly Lock _gate = new();

    public void Report(PullProgress p)
    {
        lock (_gate)
        {
            bool isNew = p.Status != _status;
            if (isNew)
            {
                CloseBar();
                _status = p.Status;
                _lastDecile = -1;
                _start = (_clock.Elapsed.TotalSeconds, p.Completed ?? 0);
            }
            if (p.Total is not { } total || p.Completed is not { } done || total <= 0)
            {
                if (isNew) output.WriteLine(p.Status);
                return;
            }
            if (terminal)
            {
                output.Write("\r" + Bar(p.Status, done, total) + "\u001b[K");
                output.Flush();
                _barOpen = true;
                if (done >= total) CloseBar();
                return;
            }
            int decile = (int)(done * 10 / total);
            if (decile != _lastDecile)
            {
                _lastDecile = decile;
                output.WriteLine($"{p.Status} {decile * 10}% ({Format.Bytes(done)}/{Format.Bytes(total)})");
            }
        }
    }

    private string Bar(string status, long done, long total)
    {
        double fraction = Math.Clamp((double)done / total, 0, 1);
        int filled = (int)(fraction * BarWidth);
        double seconds = _clock.Elapsed.TotalSeconds - _start.Seconds;
        double speed = seconds > 0.2 ? (done - _start.Bytes) / seconds : 0;
        string rate = speed > 0 ? $"{Format.Bytes(speed)}/s" : "";
        string eta = speed > 0 && done < total ? Format.Duration(TimeSpan.FromSeconds((total - done) / speed)) : "";
        return $"{status} {fraction * 100,3:0}% ▕{new string('█', filled)}{new string(' ', BarWidth - filled)}▏ " +
               $"{Format.Bytes(done)}/{Format.Bytes(total)}  {rate}  {eta}".TrimEnd();
    }

    private void CloseBar()
    {
        if (!_barOpen) return;
        output.WriteLine();
        _barOpen = false;
    }

    /// <summary>Ends an open bar line (call when the pull finishes or fails).</summary>
    public void Finish()
    {
        lock (_gate) CloseBar();
    }
}
