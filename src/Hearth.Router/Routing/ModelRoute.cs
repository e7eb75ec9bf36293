using Hearth.Router.Config;
using Hearth.Router.KvRouting;

namespace Hearth.Router.Routing;

/// <summary>The replicas of one router model and how to pick among them. The replica set can change while
/// requests are being routed (discovery adds and removes replicas): each change swaps in a new immutable
/// <see cref="Membership"/>, so a pick always sees one consistent set.</summary>
public sealed class ModelRoute
{
    private sealed record Membership(IReadOnlyList<UpstreamState> Replicas, HashRing<UpstreamState>? Ring);

    private volatile Membership _members;
    private int _rotation;

    public ModelRoute(ModelConfig config, IReadOnlyList<UpstreamState> replicas)
    {
        Config = config;
        _members = Build(replicas);
    }

    public ModelConfig Config { get; }
    public IReadOnlyList<UpstreamState> Replicas => _members.Replicas;

    /// <summary>Replaces the replica set (the states of replicas that stay are kept by the caller).</summary>
    public void SetReplicas(IReadOnlyList<UpstreamState> replicas) => _members = Build(replicas);

    private Membership Build(IReadOnlyList<UpstreamState> replicas) =>
        new(replicas.ToArray(), Config.Policy == RoutingPolicy.PrefixAffinity && replicas.Count > 0
            ? new HashRing<UpstreamState>(replicas.Select(r => (r.Name, r)).ToList()) : null);

    /// <summary>Picks and admits a replica (breaker acquired), skipping <paramref name="exclude"/>; null if none is
    /// available. <paramref name="prefixKey"/> is for prefix-affinity, <paramref name="cache"/> for kv-aware (without
    /// it, or while no replica's cache events are live, kv-aware picks the least outstanding replica).</summary>
    public UpstreamState? Pick(string? prefixKey, IReadOnlySet<UpstreamState> exclude, long nowMs, CacheAwareChoice? cache = null)
    {
        var members = _members;
        if (members.Replicas.Count == 0) return null;
        if (members.Ring is { } ring)
        {
            foreach (var r in ring.Walk((prefixKey ?? "").AsSpan(0, Math.Min(prefixKey?.Length ?? 0, Config.PrefixChars))))
                if (!exclude.Contains(r) && r.IsAvailable(nowMs) && r.Breaker.TryAcquire(nowMs)) return r;
            return null;
        }
        var replicas = members.Replicas;
        var n = replicas.Count;
        var start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)n);
        if (Config.Policy == RoutingPolicy.RoundRobin)
        {
            for (var k = 0; k < n; k++)
            {
                var r = replicas[(start + k) % n];
                if (!exclude.Contains(r) && r.IsAvailable(nowMs) && r.Breaker.TryAcquire(nowMs)) return r;
            }
            return null;
        }
        // Least outstanding, or least cost when kv-aware; the rotating start breaks ties so idle replicas share load evenly.
        for (var attempt = 0; attempt < n; attempt++)
        {
            UpstreamState? best = null;
            var bestScore = (Cost: double.MaxValue, Matched: 0);
            for (var k = 0; k < n; k++)
            {
                var r = replicas[(start + k) % n];
                if (exclude.Contains(r) || !r.IsAvailable(nowMs)) continue;
                var score = cache?.Score(r, Config.LoadWeight, nowMs) ?? (r.Outstanding, 0);
                if (best is null || score.Cost < bestScore.Cost) (best, bestScore) = (r, score);
            }
            if (best is null) return null;
            if (best.Breaker.TryAcquire(nowMs))
            {
                cache?.Chose(bestScore.Matched);
                return best;
            }
            // Lost a race for the half-open probe slot: treat it as excluded and look again.
            exclude = new HashSet<UpstreamState>(exclude) { best };
        }
        return null;
    }
}
