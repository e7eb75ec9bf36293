using Hearth.Router.Config;
using Hearth.Router.Keys;
using Hearth.Router.KvRouting;
using Hearth.Router.Metrics;
using Hearth.Router.Routing;
using Hearth.Router.State;

namespace Hearth.Router;

/// <summary>Everything one running router shares across requests: config, upstream states, model routes,
/// the pooled HttpClient, metrics, keys and the usage log.</summary>
public sealed class RouterState : IAsyncDisposable
{
    public RouterState(RouterConfig config)
    {
        Config = config;
        _static = config.Upstreams.Select(u => new UpstreamState(u, config.CircuitBreaker)).ToList();
        _upstreams = _static;
        Metrics = new RouterMetrics(() => _upstreams);
        Routes = config.Models.ToDictionary(m => m.Key,
            m => new ModelRoute(m.Value, _static.Where(u => u.Config.Models.ContainsKey(m.Key)).ToList()), StringComparer.Ordinal);
        Http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            MaxConnectionsPerServer = int.MaxValue,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        { Timeout = Timeout.InfiniteTimeSpan }; // streams may run for minutes; cancellation comes from the client
        Store = config.Postgres is { } pg ? new PostgresRouterStore(pg) : new SqliteRouterStore(config.Database);
        try
        {
            Limiter = config.Redis is { } redis ? new RedisKeyLimiter(redis) : new LocalKeyLimiter();
            Keys = new KeyManager(Store, Limiter);
        }
        catch
        {
            Limiter?.Dispose();
            Store.Dispose();
            Http.Dispose();
            throw;
        }
        UsageLog = new UsageLog(Store);
        if (config.Models.Values.Any(m => m.Policy == RoutingPolicy.KvAware))
        {
            PrefixCache = new PrefixCacheTracker(this);
            Metrics.FollowPrefixCache(PrefixCache, () => _upstreams);
        }
    }

    private readonly List<UpstreamState> _static;
    private readonly Lock _membership = new();
    private volatile IReadOnlyList<UpstreamState> _upstreams;

    public RouterConfig Config { get; }

    /// <summary>Every upstream now: the configured ones, then those discovery found.</summary>
    public IReadOnlyList<UpstreamState> Upstreams => _upstreams;

    /// <summary>Replaces the discovered upstreams. Replicas that stay keep their state (breaker, requests in flight,
    /// health); each model's route is rebuilt from the configured and discovered replicas that serve it.</summary>
    public void SetDiscovered(IReadOnlyList<UpstreamConfig> discovered)
    {
        lock (_membership)
        {
            var old = _upstreams.Skip(_static.Count).ToDictionary(u => u.Name, StringComparer.Ordinal);
            var next = new List<UpstreamState>(_static);
            foreach (var cfg in discovered)
                next.Add(old.TryGetValue(cfg.Name, out var kept) && kept.Config.Url == cfg.Url ? kept : new UpstreamState(cfg, Config.CircuitBreaker));
            _upstreams = next;
            foreach (var (model, route) in Routes)
                route.SetReplicas(next.Where(u => u.Config.Models.ContainsKey(model)).ToList());
        }
    }
    public IReadOnlyDictionary<string, ModelRoute> Routes { get; }
    public HttpClient Http { get; }
    public RouterMetrics Metrics { get; }
    public IRouterStore Store { get; }
    public IKeyLimiter Limiter { get; }
    public KeyManager Keys { get; }
    public UsageLog UsageLog { get; }

    /// <summary>The replicas' prefix caches, followed for kv-aware models (null when no model uses that policy).</summary>
    public PrefixCacheTracker? PrefixCache { get; }

    public static long NowMs => Environment.TickCount64;

    public async ValueTask DisposeAsync()
    {
        if (PrefixCache is not null) await PrefixCache.DisposeAsync();
        await UsageLog.DisposeAsync();
        Limiter.Dispose();
        Store.Dispose();
        Http.Dispose();
        Metrics.Dispose();
    }
}
