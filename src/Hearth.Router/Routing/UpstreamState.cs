using Hearth.Router.Config;

namespace Hearth.Router.Routing;

/// <summary>Live state of one upstream: requests in flight, breaker, and the last active health check.</summary>
public sealed class UpstreamState(UpstreamConfig config, CircuitBreakerConfig breaker)
{
    private int _outstanding;

    public UpstreamConfig Config { get; } = config;
    public string Name => Config.Name;
    public CircuitBreaker Breaker { get; } = new(breaker.Failures, breaker.Cooldown);

    /// <summary>False while active health checks fail (set only when health checks are configured).</summary>
    public volatile bool Healthy = true;

    public int Outstanding => Volatile.Read(ref _outstanding);
    public void Enter() => Interlocked.Increment(ref _outstanding);
    public void Leave() => Interlocked.Decrement(ref _outstanding);

    /// <summary>Routable now: healthy and the breaker would admit a request.</summary>
    public bool IsAvailable(long nowMs) => Healthy && Breaker.IsAvailable(nowMs);
}
