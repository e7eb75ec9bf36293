namespace Hearth.Router.Routing;

/// <summary>Breaker states: Closed (traffic flows), Open (ejected until the cool-down ends),
/// HalfOpen (one probe request decides).</summary>
public enum BreakerState { Closed, Open, HalfOpen }

/// <summary>Passive ejection: <c>threshold</c> consecutive failures open the breaker for <c>cooldown</c>;
/// after it, exactly one request is let through as a probe — success closes, failure re-opens.</summary>
public sealed class CircuitBreaker(int threshold, TimeSpan cooldown)
{
    private readonly Lock _gate = new();
    private int _consecutive;
    private long _openUntil;
    private bool _probeOut;

    public BreakerState State { get; private set; } = BreakerState.Closed;

    /// <summary>Whether a request could be admitted now (no side effect; used to rank candidates).</summary>
    public bool IsAvailable(long nowMs)
    {
        lock (_gate)
            return State switch
            {
                BreakerState.Closed => true,
                BreakerState.Open => nowMs >= _openUntil,
                _ => !_probeOut,
            };
    }

    /// <summary>Admits a request; after the cool-down, only the first caller gets through (as the probe).</summary>
    public bool TryAcquire(long nowMs)
    {
        lock (_gate)
        {
            switch (State)
            {
                case BreakerState.Closed: return true;
                case BreakerState.Open when nowMs >= _openUntil:
                    State = BreakerState.HalfOpen;
                    _probeOut = true;
                    return true;
                case BreakerState.HalfOpen when !_probeOut:
                    _probeOut = true;
                    return true;
                default: return false;
            }
        }
    }

    public void OnSuccess()
    {
        lock (_gate) { _consecutive = 0; _probeOut = false; State = BreakerState.Closed; }
    }

    public void OnFailure(long nowMs)
    {
        lock (_gate)
        {
            _consecutive++;
            if (State == BreakerState.HalfOpen || _consecutive >= threshold)
            {
                State = BreakerState.Open;
                _openUntil = nowMs + (long)cooldown.TotalMilliseconds;
                _probeOut = false;
            }
        }
    }

    /// <summary>Releases a probe slot without a verdict (e.g. the client went away).</summary>
    public void OnAbandoned()
    {
        lock (_gate) _probeOut = false;
    }
}
