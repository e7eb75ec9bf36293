namespace Hearth.Bench.Running;

/// <summary>How load is offered: a fixed number of requests in flight (closed loop), or requests arriving
/// as a Poisson process at a fixed mean rate regardless of how fast the server answers (open loop).</summary>
public enum LoadMode { Concurrency, Rate }

/// <summary>One level of the sweep: the mode and its value (requests in flight, or requests per second), how
/// many requests at most, how long at most, and the seed for arrival times.</summary>
public sealed record LevelPlan(LoadMode Mode, double Value, int MaxRequests, TimeSpan MaxDuration, int Seed)
{
    /// <summary>"c=16" or "rate=2/s", for console lines.</summary>
    public string Label => Mode == LoadMode.Concurrency
        ? FormattableString.Invariant($"c={Value:0}")
        : FormattableString.Invariant($"rate={Value:0.###}/s");
}

/// <summary>Live counters of a running level, read by progress displays while requests run.</summary>
public sealed class LevelCounters
{
    private int _completed, _failed, _inFlight;
    public int Completed => Volatile.Read(ref _completed);
    public int Failed => Volatile.Read(ref _failed);
    public int InFlight => Volatile.Read(ref _inFlight);
    public int Total { get; init; }
    internal void Started() => Interlocked.Increment(ref _inFlight);
    internal void Finished(bool success)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref success ? ref _completed : ref _failed);
    }
    internal void CutOff() => Interlocked.Decrement(ref _inFlight);
}
