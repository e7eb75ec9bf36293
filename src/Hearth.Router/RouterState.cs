using Hearth.Router.Config;
using Hearth.Router.Keys;
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
        Upstreams = config.Upstreams.Select(u => new UpstreamState(u, config.CircuitBreaker)).ToList();
        Routes = config.Models.ToDictionary(m => m.Key,
            m => new ModelRoute(m.Value, Upstreams.Where(u => u.Config.Models.ContainsKey(m.Key)).ToList()), StringComparer.Ordinal);
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
    }

    public RouterConfig Config { get; }
    public IReadOnlyList<UpstreamState> Upstreams { get; }
    public IReadOnlyDictionary<string, ModelRoute> Routes { get; }
    public HttpClient Http { get; }
    public RouterMetrics Metrics { get; } = new();
    public IRouterStore Store { get; }
    public IKeyLimiter Limiter { get; }
    public KeyManager Keys { get; }
    public UsageLog UsageLog { get; }

    public static long NowMs => Environment.TickCount64;

    public async ValueTask DisposeAsync()
    {
        await UsageLog.DisposeAsync();
        Limiter.Dispose();
        Store.Dispose();
        Http.Dispose();
    }
}
