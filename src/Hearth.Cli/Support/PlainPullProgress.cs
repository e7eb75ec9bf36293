using Hearth.Store;

namespace Hearth.Cli.Support;

/// <summary>Pull progress for logs and pipes: each status once, a download's progress at every 10 %.</summary>
internal sealed class PlainPullProgress(TextWriter output) : IProgress<PullProgress>
{
    private readonly Lock _gate = new();
    private string? _status;
    private int _lastDecile = -1;

    public void Report(PullProgress p)
    {
        lock (_gate)
        {
            bool isNew = p.Status != _status;
            if (isNew)
            {
                _status = p.Status;
                _lastDecile = -1;
            }
            if (p.Total is not { } total || p.Completed is not { } done || total <= 0)
            {
                if (isNew) output.WriteLine(p.Status);
                return;
            }
            int decile = (int)(done * 10 / total);
            if (decile == _lastDecile) return;
            _lastDecile = decile;
            output.WriteLine($"{p.Status} {decile * 10}% ({Format.Bytes(done)}/{Format.Bytes(total)})");
        }
    }
}
