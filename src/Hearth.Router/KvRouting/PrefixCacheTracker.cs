using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Hearth.Router.Config;
using Hearth.Router.Proxy;
using Hearth.Router.Routing;

namespace Hearth.Router.KvRouting;

/// <summary>Keeps one <see cref="KvEventSubscriber"/> per (replica, model id) of every kv-aware model, following the
/// replica set as discovery changes it (checked every second), and asks a replica for a request's block hashes
/// (<c>POST /v1/prefix_hashes</c>: the replicas tokenize, so the router needs no tokenizer or template).</summary>
public sealed class PrefixCacheTracker : IAsyncDisposable
{
    private static readonly TimeSpan ReconcileEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HashTimeout = TimeSpan.FromSeconds(2);
    private const int MaxHashResponseBytes = 4 << 20;

    private sealed record Follower(ReplicaPrefixIndex Index, CancellationTokenSource Stop, Task Run);

    private readonly RouterState _state;
    private readonly ConcurrentDictionary<(string Url, string Model), Follower> _followers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public PrefixCacheTracker(RouterState state)
    {
        _state = state;
        Reconcile();
        _loop = LoopAsync();
    }

    /// <summary>The index of a replica for a router model (null when not followed: another policy, or not yet).</summary>
    public ReplicaPrefixIndex? IndexOf(UpstreamState replica, string routerModel) =>
        replica.Config.Models.TryGetValue(routerModel, out var id) && _followers.TryGetValue((replica.Config.Url.AbsoluteUri, id), out var f) ? f.Index : null;

    /// <summary>Requests for block hashes that failed (replica down, slow, or not a Hearth server).</summary>
    public long HashFailures => Interlocked.Read(ref _hashFailures);
    private long _hashFailures;

    /// <summary>The request's prompt block hashes, asked of one available replica of the model (one whose events are
    /// live first, then the least busy); null when none could answer in time.</summary>
    public async Task<ulong[]?> PromptHashesAsync(ModelRoute route, ProxyRequest request, CancellationToken ct)
    {
        var now = RouterState.NowMs;
        var replica = route.Replicas.Where(r => r.IsAvailable(now))
            .OrderBy(r => IndexOf(r, route.Config.Name)?.IsLive(now) == true ? 0 : 1).ThenBy(r => r.Outstanding).FirstOrDefault();
        if (replica is null) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HashTimeout);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(replica.Config.Url, "prefix_hashes"))
            {
                Content = new ByteArrayContent(request.BodyFor(replica.Config.Models[route.Config.Name], includeUsage: true)),
            };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (replica.Config.ApiKey is { } key) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await _state.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength > MaxHashResponseBytes)
            {
                Interlocked.Increment(ref _hashFailures);
                return null;
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var doc = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
            var hashes = doc.RootElement.GetProperty("hashes");
            var result = new ulong[hashes.GetArrayLength()];
            var i = 0;
            foreach (var h in hashes.EnumerateArray()) result[i++] = KvEventSubscriber.ParseHash(h);
            return result;
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or JsonException
            or FormatException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            // A 400 (e.g. a request the replica will refuse anyway) or a dead replica: route without the cache.
            Interlocked.Increment(ref _hashFailures);
            return null;
        }
    }

    /// <summary>Followed (replica, model id) pairs and their indexes, for /metrics.</summary>
    public IEnumerable<(string Upstream, string Model, ReplicaPrefixIndex Index)> Indexes(IEnumerable<UpstreamState> upstreams)
    {
        foreach (var u in upstreams)
            foreach (var id in u.Config.Models.Values.Distinct())
                if (_followers.TryGetValue((u.Config.Url.AbsoluteUri, id), out var f)) yield return (u.Name, id, f.Index);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(ReconcileEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) Reconcile();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    /// <summary>Starts followers for new (replica, model) pairs of kv-aware models and stops those that left.</summary>
    private void Reconcile()
    {
        var wanted = new Dictionary<(string, string), UpstreamState>();
        foreach (var route in _state.Routes.Values)
        {
            if (route.Config.Policy != RoutingPolicy.KvAware) continue;
            foreach (var r in route.Replicas)
                wanted.TryAdd((r.Config.Url.AbsoluteUri, r.Config.Models[route.Config.Name]), r);
        }
        foreach (var (key, replica) in wanted)
        {
            if (_followers.ContainsKey(key)) continue;
            var index = new ReplicaPrefixIndex();
            var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var subscriber = new KvEventSubscriber(_state.Http, replica.Config.Url, replica.Config.ApiKey, key.Item2, index);
            _followers[key] = new Follower(index, stop, Task.Run(() => subscriber.RunAsync(stop.Token)));
        }
        foreach (var key in _followers.Keys)
            if (!wanted.ContainsKey(key) && _followers.TryRemove(key, out var gone)) gone.Stop.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        await Task.WhenAll(_followers.Values.Select(f => f.Run));
        foreach (var f in _followers.Values) f.Stop.Dispose();
        _stop.Dispose();
    }
}
