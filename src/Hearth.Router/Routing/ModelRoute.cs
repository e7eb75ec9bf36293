using Hearth.Router.Config;

namespace Hearth.Router.Routing;

/// <summary>The replicas of one router model and how to pick among them.</summary>
public sealed class ModelRoute
{
    private readonly HashRing<UpstreamState>? _ring;
    private int _rotation;

    public ModelRoute(ModelConfig config, IReadOnlyList<UpstreamState> replicas)
    {
        Config = config;
        Replicas = replicas;
        if (config.Policy == RoutingPolicy.PrefixAffinity)
            _ring = new HashRing<UpstreamState>(replicas.Select(r => (r.Name, r)).ToList());
    }

    public ModelConfig Config { get; }
    public IReadOnlyList<UpstreamState> Replicas { get; }

    /// <summary>Picks and admits a replica (breaker acquired), skipping <paramref name="exclude"/>; null if none is available.</summary>
    public UpstreamState? Pick(string? prefixKey, IReadOnlySet<UpstreamState> exclude, long nowMs)
    {
        if (_ring is not null)
        {
            foreach (var r in _ring.Walk((prefixKey ?? "").AsSpan(0, Math.Min(prefixKey?.Length ?? 0, Config.PrefixChars))))
                if (!exclude.Contains(r) && r.IsAvailable(nowMs) && r.Breaker.TryAcquire(nowMs)) return r;
            return null;
        }
        // Least outstanding; the rotating start breaks ties so idle replicas share load evenly.
        var n = Replicas.Count;
        var start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)n);
        for (var attempt = 0; attempt < n; attempt++)
        {
            UpstreamState? best = null;
            for (var k = 0; k < n; k++)
            {
                var r = Replicas[(start + k) % n];
                if (exclude.Contains(r) || !r.IsAvailable(nowMs)) continue;
                if (best is null || r.Outstanding < best.Outstanding) best = r;
            }
            if (best is null) return null;
            if (best.Breaker.TryAcquire(nowMs)) return best;
            // Lost a race for the half-open probe slot: treat it as excluded and look again.
            exclude = new HashSet<UpstreamState>(exclude) { best };
        }
        return null;
    }
}
