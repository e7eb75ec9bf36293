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
    }

    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private long _clientRequests, _rejected;

    private Series For(string upstream) => _series.GetOrAdd(upstream, _ => new Series());

    public void ClientRequest() => Interlocked.Increment(ref _clientRequests);
    public void Rejected() => Interlocked.Increment(ref _rejected);
    public void Retry(string upstream) => Interlocked.Increment(ref For(upstream).Retries);

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

    public string Render(IEnumerable<UpstreamState> upstreams, long nowMs)
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
