using System.Net;
using Hearth.Router.Config;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Hearth.Router.Discovery;

/// <summary>Keeps the router's discovered upstreams equal to the ready endpoints of one Kubernetes Service: lists the
/// Service's EndpointSlices, then watches them from that list's resourceVersion (the API's list-then-watch protocol);
/// when a watch ends it watches again from the last version seen, and when that version has expired (410 Gone) or
/// the API fails it lists afresh after a backoff. Every change recomputes the endpoint set and hands it to
/// <see cref="RouterState.SetDiscovered"/>.</summary>
public sealed class KubernetesDiscovery : IAsyncDisposable
{
    private const string ServiceLabel = "kubernetes.io/service-name";
    private const string NamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
    private readonly RouterState _state;
    private readonly DiscoveryConfig _config;
    private readonly IKubernetes _client;
    private readonly string _namespace;
    private readonly Dictionary<string, V1EndpointSlice> _slices = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public KubernetesDiscovery(RouterState state, DiscoveryConfig config)
    {
        _state = state;
        _config = config;
        var k8sConfig = config.ApiServer is { } server ? new KubernetesClientConfiguration { Host = server.AbsoluteUri }
            : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile();
        _namespace = config.Namespace
            ?? (File.Exists(NamespaceFile) ? File.ReadAllText(NamespaceFile).Trim() : null)
            ?? k8sConfig.Namespace ?? "default";
        _client = new Kubernetes(k8sConfig);
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Number of list-and-watch rounds that ended in an error (for tests and logs).</summary>
    public int Errors { get; private set; }

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var version = await ListAsync(ct).ConfigureAwait(false);
                backoff = TimeSpan.FromSeconds(1);
                while (!ct.IsCancellationRequested) version = await WatchAsync(version, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Errors++;
                if (e is not HttpOperationException { Response.StatusCode: HttpStatusCode.Gone })
                    Console.Error.WriteLine($"hearth router: discovery of service {_namespace}/{_config.Service} failed: {e.Message}; retrying in {backoff.TotalSeconds:0} s");
                try { await Task.Delay(backoff, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromSeconds(Math.Min(30, backoff.TotalSeconds * 2));
            }
        }
    }

    private async Task<string?> ListAsync(CancellationToken ct)
    {
        var list = await _client.DiscoveryV1.ListNamespacedEndpointSliceAsync(_namespace, labelSelector: $"{ServiceLabel}={_config.Service}", cancellationToken: ct).ConfigureAwait(false);
        _slices.Clear();
        foreach (var slice in list.Items) _slices[slice.Metadata.Name] = slice;
        Publish();
        return list.Metadata?.ResourceVersion;
    }

    /// <summary>One watch request; returns the last resourceVersion seen so the next watch resumes there.</summary>
    private async Task<string?> WatchAsync(string? version, CancellationToken ct)
    {
        var events = _client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(_namespace, allowWatchBookmarks: true,
            labelSelector: $"{ServiceLabel}={_config.Service}", resourceVersion: version, timeoutSeconds: 300, cancellationToken: ct);
        await foreach (var (type, slice) in events.ConfigureAwait(false))
        {
            version = slice.Metadata?.ResourceVersion ?? version;
            switch (type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    _slices[slice.Metadata!.Name] = slice;
                    Publish();
                    break;
                case WatchEventType.Deleted:
                    _slices.Remove(slice.Metadata!.Name);
                    Publish();
                    break;
                case WatchEventType.Error:
                    throw new HttpOperationException("watch error event") { Response = new HttpResponseMessageWrapper(new HttpResponseMessage(HttpStatusCode.Gone), "") };
            }
        }
        return version;
    }

    private void Publish() => _state.SetDiscovered(Endpoints(_slices.Values, _config));

    /// <summary>The upstreams a set of EndpointSlices describes: one per ready address on the named port, named after
    /// its pod (or address), in a stable order.</summary>
    public static IReadOnlyList<UpstreamConfig> Endpoints(IEnumerable<V1EndpointSlice> slices, DiscoveryConfig config)
    {
        var found = new SortedDictionary<string, UpstreamConfig>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            var port = slice.Ports?.FirstOrDefault(p => p.Name == config.Port || p.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) == config.Port)?.Port;
            if (port is null) continue;
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // Kubernetes: a null 'ready' means ready; terminating endpoints are reported not ready.
                if (endpoint.Conditions?.Ready == false) continue;
                foreach (var address in endpoint.Addresses ?? [])
                {
                    var host = IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address;
                    var name = endpoint.TargetRef?.Name is { Length: > 0 } pod ? pod : $"{address}:{port}";
                    var url = new Uri($"{config.Scheme}://{host}:{port}{config.Path.TrimEnd('/')}/");
                    found.TryAdd(name, new UpstreamConfig(name, url, config.ApiKey, config.Models));
                }
            }
        }
        return found.Values.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _client.Dispose();
        _stop.Dispose();
    }
}
