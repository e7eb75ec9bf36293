using Hearth.Router.Config;
using Hearth.Router.Routing;

namespace Hearth.Router.Hosting;

/// <summary>Active health checks: every interval, GET the configured path on each upstream's origin (default: /health,
/// falling back to {url}/models when /health is 404). Non-2xx or no answer marks the upstream unhealthy.</summary>
public sealed class HealthChecker : IAsyncDisposable
{
    private readonly RouterState _state;
    private readonly HealthCheckConfig _config;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public HealthChecker(RouterState state, HealthCheckConfig config)
    {
        _state = state;
        _config = config;
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(_config.Interval);
        do
        {
            await Task.WhenAll(_state.Upstreams.Select(CheckAsync));
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try { return await timer.WaitForNextTickAsync(_stop.Token); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>Runs one check of one upstream and records the result.</summary>
    public async Task CheckAsync(UpstreamState up)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        cts.CancelAfter(_config.Timeout);
        var origin = new Uri(up.Config.Url.GetLeftPart(UriPartial.Authority));
        try
        {
            if (_config.Path is { } path) { up.Healthy = await ProbeAsync(new Uri(origin, path), up, cts.Token) == true; return; }
            var health = await ProbeAsync(new Uri(origin, "/health"), up, cts.Token);
            up.Healthy = health ?? await ProbeAsync(new Uri(up.Config.Url, "models"), up, cts.Token) == true;
        }
        catch (Exception) when (!_stop.IsCancellationRequested)
        {
            up.Healthy = false; // refused, reset or timed out
        }
    }

    /// <summary>True on 2xx, false on other statuses, null on 404 (endpoint absent: try another).</summary>
    private async Task<bool?> ProbeAsync(Uri uri, UpstreamState up, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, uri);
        if (up.Config.ApiKey is { } k) req.Headers.Authorization = new("Bearer", k);
        using var res = await _state.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
        if (res.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        return res.IsSuccessStatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
