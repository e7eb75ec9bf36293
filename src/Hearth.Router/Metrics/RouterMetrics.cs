using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hearth.Metrics;
using Hearth.Router.Routing;

namespace Hearth.Router.Metrics;

/// <summary>The router's metrics as <see cref="System.Diagnostics.Metrics"/> instruments on a meter of its own (one per
/// router, so several routers in one process — tests — keep separate numbers), written on /metrics by
/// <see cref="PrometheusMeterExporter"/> with process and runtime metrics. Per-upstream counts are kept here (the
/// router reads them too) and observed for every current upstream, so an upstream not tried yet shows 0.</summary>
public sealed class RouterMetrics : IDisposable
{
    /// <summary>Histogram bucket upper bounds in seconds.</summary>
    public static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private sealed class Series
    {
        public long Requests, Errors, Retries;
        public long CachePicks, CacheQueryBlocks, CacheHitBlocks;
    }

    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly Meter _meter = new("Hearth.Router");
    private readonly PrometheusMeterExporter _exporter;
    private readonly Histogram<double> _latency;
    private long _clientRequests, _rejected, _cacheFallbacks;

    /// <param name="upstreams">the current upstreams (static and discovered)</param>
    public RouterMetrics(Func<IReadOnlyList<UpstreamState>> upstreams)
    {
        _meter.CreateObservableCounter("hearth_router_client_requests_total", () => Volatile.Read(ref _clientRequests), description: "Requests received by the router");
        _meter.CreateObservableCounter("hearth_router_rejected_total", () => Volatile.Read(ref _rejected), description: "Requests refused by auth, key limits or validation");
        PerUpstream(true, "hearth_router_upstream_requests_total", "Attempts sent to each upstream", u => Requests(u.Name));
        PerUpstream(true, "hearth_router_upstream_errors_total", "Failed attempts (connect error, 5xx, broken stream)", u => Errors(u.Name));
        PerUpstream(true, "hearth_router_upstream_retries_total", "Retries moved away from each upstream", u => _series.TryGetValue(u.Name, out var s) ? Volatile.Read(ref s.Retries) : 0);
        PerUpstream(false, "hearth_router_upstream_outstanding", "Requests in flight per upstream", u => u.Outstanding);
        PerUpstream(false, "hearth_router_upstream_healthy", "1 when routable (health check passing and breaker not open)", u => u.IsAvailable(RouterState.NowMs) ? 1 : 0);
        PerUpstream(false, "hearth_router_upstream_breaker_open", "1 while the circuit breaker is open or half-open", u => u.Breaker.State == BreakerState.Closed ? 0 : 1);
        _latency = _meter.CreateHistogram("hearth_router_upstream_latency_seconds", "s", "Attempt duration per upstream, headers to last byte",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
        _exporter = new PrometheusMeterExporter(_meter);

        void PerUpstream(bool counter, string name, string help, Func<UpstreamState, long> value)
        {
            IEnumerable<Measurement<long>> Observe() => upstreams().Select(u => new Measurement<long>(value(u), new KeyValuePair<string, object?>("upstream", u.Name)));
            if (counter) _meter.CreateObservableCounter(name, Observe, description: help);
            else _meter.CreateObservableGauge(name, Observe, description: help);
        }
    }

    private Series For(string upstream) => _series.GetOrAdd(upstream, _ => new Series());

    public void ClientRequest() => Interlocked.Increment(ref _clientRequests);
    public void Rejected() => Interlocked.Increment(ref _rejected);
    public void Retry(string upstream) => Interlocked.Increment(ref For(upstream).Retries);

    /// <summary>A kv-aware pick: the prompt's blocks and how many of them the chosen replica held. A pick made while no
    /// replica's events were live is counted as a fallback.</summary>
    public void CacheAwarePick(string upstream, int promptBlocks, int hitBlocks, bool anyLive)
    {
        if (!anyLive)
        {
            CacheAwareFallback();
            return;
        }
        var s = For(upstream);
        Interlocked.Increment(ref s.CachePicks);
        Interlocked.Add(ref s.CacheQueryBlocks, promptBlocks);
        Interlocked.Add(ref s.CacheHitBlocks, hitBlocks);
    }

    /// <summary>A request of a kv-aware model routed without cache information (no hashes, no live replica).</summary>
    public void CacheAwareFallback() => Interlocked.Increment(ref _cacheFallbacks);

    /// <summary>Adds the cache-aware routing metrics (for a router with kv-aware models): per replica, the share of
    /// routed prompt blocks it already held, and the state of the router's copy of each replica's prefix cache.</summary>
    public void FollowPrefixCache(KvRouting.PrefixCacheTracker tracker, Func<IReadOnlyList<UpstreamState>> upstreams)
    {
        long Read(UpstreamState u, Func<Series, long> f) => _series.TryGetValue(u.Name, out var s) ? f(s) : 0;
        KeyValuePair<string, object?> Up(string name) => new("upstream", name);
        void PerUpstream(string name, string help, Func<UpstreamState, long> value) =>
            _meter.CreateObservableCounter(name, () => upstreams().Select(u => new Measurement<long>(value(u), Up(u.Name))), description: help);
        PerUpstream("hearth_router_prefix_routed_total", "kv-aware requests sent to each replica with cache information", u => Read(u, s => Volatile.Read(ref s.CachePicks)));
        PerUpstream("hearth_router_prefix_query_blocks_total", "Prompt blocks of those requests", u => Read(u, s => Volatile.Read(ref s.CacheQueryBlocks)));
        PerUpstream("hearth_router_prefix_hit_blocks_total", "Prompt blocks the chosen replica already held (leading blocks, as its prefix cache reuses them)", u => Read(u, s => Volatile.Read(ref s.CacheHitBlocks)));
        _meter.CreateObservableGauge("hearth_router_prefix_hit_rate", () => upstreams().Select(u =>
        {
            var query = Read(u, s => Volatile.Read(ref s.CacheQueryBlocks));
            return new Measurement<double>(query == 0 ? 0 : (double)Read(u, s => Volatile.Read(ref s.CacheHitBlocks)) / query, Up(u.Name));
        }), description: "Cached-prefix hit rate of the routing decisions per replica (hit blocks / prompt blocks)");
        _meter.CreateObservableCounter("hearth_router_kv_fallback_total", () => Volatile.Read(ref _cacheFallbacks),
            description: "kv-aware requests routed least-outstanding (no block hashes, or no replica's events live)");
        _meter.CreateObservableGauge("hearth_router_kv_index_blocks", () => tracker.Indexes(upstreams()).Select(x =>
            new Measurement<long>(x.Index.Count, Up(x.Upstream), new("model", x.Model))), description: "Block hashes the router holds for each replica's prefix cache");
        _meter.CreateObservableGauge("hearth_router_kv_index_live", () => tracker.Indexes(upstreams()).Select(x =>
            new Measurement<long>(x.Index.IsLive(RouterState.NowMs) ? 1 : 0, Up(x.Upstream), new("model", x.Model))), description: "1 while the replica's kv_events stream is synced and current");
    }

    /// <summary>Records one attempt against an upstream (success or failure) and its duration.</summary>
    public void Attempt(string upstream, bool error, TimeSpan duration)
    {
        var s = For(upstream);
        Interlocked.Increment(ref s.Requests);
        if (error) Interlocked.Increment(ref s.Errors);
        _latency.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("upstream", upstream));
    }

    public long Requests(string upstream) => _series.TryGetValue(upstream, out var s) ? Volatile.Read(ref s.Requests) : 0;
    public long Errors(string upstream) => _series.TryGetValue(upstream, out var s) ? Volatile.Read(ref s.Errors) : 0;

    /// <summary>The Prometheus text of the router's metrics with process and runtime metrics.</summary>
    public Task<string> RenderAsync(CancellationToken ct = default) => _exporter.RenderAsync(ct);

    public void Dispose()
    {
        _exporter.Dispose();
        _meter.Dispose();
    }
}
