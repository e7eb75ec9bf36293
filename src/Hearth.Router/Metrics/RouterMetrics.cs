using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Hearth.Router.Routing;

namespace Hearth.Router.Metrics;

/// <summary>Per-upstream counters and a latency histogram, rendered as Prometheus text (no global registry,
/// so several routers in one process — tests — keep separate numbers).</summary>
public sealed class RouterMetrics
{
    /// <summary>Histogram bucket upper bounds in seconds.</summary>
    public static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private sealed class Series
    {
        public long Requests, Errors, Retries;
        public readonly long[] BucketCounts = new long[Buckets.Length + 1];
        public long LatencyTicks;
        public long CachePicks, CacheQueryBlocks, CacheHitBlocks;
    }

    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private long _clientRequests, _rejected, _cacheFallbacks;

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

    /// <summary>Records one attempt against an upstream (success or failure) and its duration.</summary>
    public void Attempt(string upstream, bool error, TimeSpan duration)
    {
        var s = For(upstream);
        Interlocked.Increment(ref s.Requests);
        if (error) Interlocked.Increment(ref s.Errors);
        var sec = duration.TotalSeconds;
        var b = 0;
        while (b < Buckets.Length && sec > Buckets[b]) b++;
        Interlocked.Increment(ref s.BucketCounts[b]);
        Interlocked.Add(ref s.LatencyTicks, duration.Ticks);
    }

    public long Requests(string upstream) => _series.TryGetValue(upstream, out var s) ? Volatile.Read(ref s.Requests) : 0;
    public long Errors(string upstream) => _series.TryGetValue(upstream, out var s) ? Volatile.Read(ref s.Errors) : 0;

    public string Render(IEnumerable<UpstreamState> upstreams, long nowMs, KvRouting.PrefixCacheTracker? prefixCache = null)
    {
        var sb = new StringBuilder();
        var ups = upstreams.ToList();
        Header(sb, "hearth_router_client_requests_total", "counter", "Requests received by the router");
        sb.Append("hearth_router_client_requests_total ").Append(Volatile.Read(ref _clientRequests)).Append('\n');
        Header(sb, "hearth_router_rejected_total", "counter", "Requests refused by auth, key limits or validation");
        sb.Append("hearth_router_rejected_total ").Append(Volatile.Read(ref _rejected)).Append('\n');
        Gauge(sb, ups, "hearth_router_upstream_requests_total", "counter", "Attempts sent to each upstream", u => Requests(u.Name));
        Gauge(sb, ups, "hearth_router_upstream_errors_total", "counter", "Failed attempts (connect error, 5xx, broken stream)", u => Errors(u.Name));
        Gauge(sb, ups, "hearth_router_upstream_retries_total", "counter", "Retries moved away from each upstream", u => _series.TryGetValue(u.Name, out var s) ? Volatile.Read(ref s.Retries) : 0);
        Gauge(sb, ups, "hearth_router_upstream_outstanding", "gauge", "Requests in flight per upstream", u => u.Outstanding);
        Gauge(sb, ups, "hearth_router_upstream_healthy", "gauge", "1 when routable (health check passing and breaker not open)", u => u.IsAvailable(nowMs) ? 1 : 0);
        Gauge(sb, ups, "hearth_router_upstream_breaker_open", "gauge", "1 while the circuit breaker is open or half-open", u => u.Breaker.State == BreakerState.Closed ? 0 : 1);

        if (prefixCache is not null) RenderPrefixCache(sb, ups, prefixCache, nowMs);

        Header(sb, "hearth_router_upstream_latency_seconds", "histogram", "Attempt duration per upstream, headers to last byte");
        foreach (var u in ups)
        {
            if (!_series.TryGetValue(u.Name, out var s)) continue;
            long cum = 0;
            for (var b = 0; b <= Buckets.Length; b++)
            {
                cum += Volatile.Read(ref s.BucketCounts[b]);
                var le = b < Buckets.Length ? Buckets[b].ToString(CultureInfo.InvariantCulture) : "+Inf";
                sb.Append("hearth_router_upstream_latency_seconds_bucket{upstream=\"").Append(Escape(u.Name)).Append("\",le=\"").Append(le).Append("\"} ").Append(cum).Append('\n');
            }
            sb.Append("hearth_router_upstream_latency_seconds_sum{upstream=\"").Append(Escape(u.Name)).Append("\"} ")
              .Append(TimeSpan.FromTicks(Volatile.Read(ref s.LatencyTicks)).TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("hearth_router_upstream_latency_seconds_count{upstream=\"").Append(Escape(u.Name)).Append("\"} ").Append(cum).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Cache-aware routing: per replica, the share of routed prompt blocks it already held, and the state of
    /// the router's copy of each replica's prefix cache.</summary>
    private void RenderPrefixCache(StringBuilder sb, List<UpstreamState> ups, KvRouting.PrefixCacheTracker tracker, long nowMs)
    {
        long Read(UpstreamState u, Func<Series, long> f) => _series.TryGetValue(u.Name, out var s) ? f(s) : 0;
        Gauge(sb, ups, "hearth_router_prefix_routed_total", "counter", "kv-aware requests sent to each replica with cache information", u => Read(u, s => Volatile.Read(ref s.CachePicks)));
        Gauge(sb, ups, "hearth_router_prefix_query_blocks_total", "counter", "Prompt blocks of those requests", u => Read(u, s => Volatile.Read(ref s.CacheQueryBlocks)));
        Gauge(sb, ups, "hearth_router_prefix_hit_blocks_total", "counter", "Prompt blocks the chosen replica already held (leading blocks, as its prefix cache reuses them)", u => Read(u, s => Volatile.Read(ref s.CacheHitBlocks)));
        Header(sb, "hearth_router_prefix_hit_rate", "gauge", "Cached-prefix hit rate of the routing decisions per replica (hit blocks / prompt blocks)");
        foreach (var u in ups)
        {
            var query = Read(u, s => Volatile.Read(ref s.CacheQueryBlocks));
            var rate = query == 0 ? 0 : (double)Read(u, s => Volatile.Read(ref s.CacheHitBlocks)) / query;
            sb.Append("hearth_router_prefix_hit_rate{upstream=\"").Append(Escape(u.Name)).Append("\"} ").Append(rate.ToString("0.####", CultureInfo.InvariantCulture)).Append('\n');
        }
        Header(sb, "hearth_router_kv_fallback_total", "counter", "kv-aware requests routed least-outstanding (no block hashes, or no replica's events live)");
        sb.Append("hearth_router_kv_fallback_total ").Append(Volatile.Read(ref _cacheFallbacks)).Append('\n');
        var indexes = tracker.Indexes(ups).ToList();
        Header(sb, "hearth_router_kv_index_blocks", "gauge", "Block hashes the router holds for each replica's prefix cache");
        foreach (var (up, model, index) in indexes)
            sb.Append("hearth_router_kv_index_blocks{upstream=\"").Append(Escape(up)).Append("\",model=\"").Append(Escape(model)).Append("\"} ").Append(index.Count).Append('\n');
        Header(sb, "hearth_router_kv_index_live", "gauge", "1 while the replica's kv_events stream is synced and current");
        foreach (var (up, model, index) in indexes)
            sb.Append("hearth_router_kv_index_live{upstream=\"").Append(Escape(up)).Append("\",model=\"").Append(Escape(model)).Append("\"} ").Append(index.IsLive(nowMs) ? 1 : 0).Append('\n');
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Gauge(StringBuilder sb, List<UpstreamState> ups, string name, string type, string help, Func<UpstreamState, long> value)
    {
        Header(sb, name, type, help);
        foreach (var u in ups)
            sb.Append(name).Append("{upstream=\"").Append(Escape(u.Name)).Append("\"} ").Append(value(u)).Append('\n');
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
