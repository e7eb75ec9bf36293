namespace Hearth.Router.Config;

/// <summary>How replicas of one model are chosen.</summary>
public enum RoutingPolicy
{
    /// <summary>The replica with the fewest requests in flight (ties rotate).</summary>
    LeastOutstanding,
    /// <summary>Consistent hashing on the prompt's leading characters, so a shared prefix hits a warm KV cache.</summary>
    PrefixAffinity,
    /// <summary>Each replica in turn, whatever its load (a baseline for benchmarks).</summary>
    RoundRobin,
    /// <summary>The replica whose prefix cache holds the longest part of the prompt (learnt from the replicas'
    /// <c>/v1/kv_events</c> streams), weighed against its load; least-outstanding while no replica's events are live.</summary>
    KvAware,
}

/// <summary>One OpenAI-compatible backend: base URL (ending in /v1), optional key, and the models it serves
/// (router model name → model id on that upstream).</summary>
public sealed record UpstreamConfig(string Name, Uri Url, string? ApiKey, IReadOnlyDictionary<string, string> Models);

/// <summary>A model name clients may ask for: replica policy and the chain of models to fall back to.</summary>
/// <param name="LoadWeight">kv-aware only: how many prompts' worth of prefill one more request in a replica's queue
/// counts as (0: cache hits alone decide; larger: load matters more).</param>
public sealed record ModelConfig(string Name, RoutingPolicy Policy, IReadOnlyList<string> Fallback, int PrefixChars,
    double LoadWeight = ModelConfig.DefaultLoadWeight)
{
    public const double DefaultLoadWeight = 0.25;
}

/// <summary>Active health checks: GET <c>Path</c> (relative to the upstream's origin) every <c>Interval</c>;
/// a null path tries /health, then {url}/models.</summary>
public sealed record HealthCheckConfig(TimeSpan Interval, string? Path, TimeSpan Timeout);

/// <summary>Passive ejection: <c>Failures</c> consecutive failures open the breaker for <c>Cooldown</c>.</summary>
public sealed record CircuitBreakerConfig(int Failures, TimeSpan Cooldown);

/// <summary>Retries before the first response byte reaches the client: at most <c>Max</c> more attempts,
/// waiting <c>BackoffMs</c> × 2^attempt between them.</summary>
public sealed record RetryConfig(int Max, int BackoffMs);

/// <summary>Upstreams found at run time instead of listed: the ready endpoints of a Kubernetes Service (its
/// EndpointSlices, watched through the API server) become upstreams named after their pods, each serving
/// <c>Models</c> (router model name → model id) at <c>{Scheme}://{address}:{port}{Path}</c>.</summary>
/// <param name="Namespace">Null: the router pod's own namespace.</param>
/// <param name="Port">The Service port's name (or number) to use on each endpoint.</param>
/// <param name="ApiServer">Null: in-cluster credentials (or the local kubeconfig); else an API server URL reached
/// without credentials (a `kubectl proxy`, or a test's recorded server).</param>
public sealed record DiscoveryConfig(string Service, string? Namespace, string Port, string Scheme, string Path, string? ApiKey,
    IReadOnlyDictionary<string, string> Models, Uri? ApiServer);

/// <summary>The whole router configuration (see <see cref="RouterConfigLoader"/> for the YAML shape). Keys and usage
/// live in <c>Database</c> (a SQLite file; in memory when null) or, for several router replicas, in the PostgreSQL
/// database <c>Postgres</c> names (an Npgsql connection string); <c>Redis</c> (a StackExchange.Redis configuration)
/// makes per-minute limits and budgets exact across replicas.</summary>
public sealed record RouterConfig(
    IReadOnlyList<UpstreamConfig> Upstreams,
    IReadOnlyDictionary<string, ModelConfig> Models,
    string? MasterKey,
    string? Database,
    HealthCheckConfig? HealthCheck,
    CircuitBreakerConfig CircuitBreaker,
    RetryConfig Retries,
    string? Postgres = null,
    string? Redis = null,
    DiscoveryConfig? Discovery = null)
{
    /// <summary>Browser origins allowed besides the router's own and localhost ones (see the server's --allowed-origins).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    /// <summary>Host header names accepted besides localhost ones (checked when bound to loopback or when set).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    public static readonly CircuitBreakerConfig DefaultBreaker = new(3, TimeSpan.FromSeconds(30));
    public static readonly RetryConfig DefaultRetries = new(2, 50);
    public const int DefaultPrefixChars = 256;
}

/// <summary>A configuration error, with file, line and column where known.</summary>
public sealed class RouterConfigException(string message) : Exception(message);
