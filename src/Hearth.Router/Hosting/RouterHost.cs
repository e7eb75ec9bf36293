using System.Text.Json.Nodes;
using Hearth.Telemetry;
using OpenTelemetry.Trace;
using System.Net;
using Hearth.Http;
using Hearth.Router.Config;
using Hearth.Router.Discovery;
using Hearth.Router.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Router.Hosting;

/// <summary>A running router: Kestrel on host:port (port 0 picks a free one) serving the proxied OpenAI endpoints,
/// /v1/models, /health, /metrics and /admin/*.</summary>
public sealed class RouterHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HealthChecker? _health;
    private readonly KubernetesDiscovery? _discovery;

    private RouterHost(WebApplication app, RouterState state, HealthChecker? health, KubernetesDiscovery? discovery, Uri address)
    {
        _app = app;
        State = state;
        _health = health;
        _discovery = discovery;
        Address = address;
    }

    public RouterState State { get; }

    /// <summary>Base address, e.g. http://127.0.0.1:4000/.</summary>
    public Uri Address { get; }

    /// <param name="configureLogging">Replaces the default logging (tests capture it).</param>
    /// <param name="otlpEndpoint">OTLP endpoint for traces; tracing is off without one (or <paramref name="configureTracing"/>).</param>
    /// <param name="configureTracing">Extra tracing setup (tests add an in-memory exporter).</param>
    public static async Task<RouterHost> StartAsync(RouterConfig config, string host = "127.0.0.1", int port = 0, bool log = false, CancellationToken ct = default,
        Action<ILoggingBuilder>? configureLogging = null, string? otlpEndpoint = null, Action<TracerProviderBuilder>? configureTracing = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // A span per request and per upstream attempt; HttpClient sends the W3C traceparent, so upstreams join the trace.
        Tracing.Add(builder.Services, "hearth-router", otlpEndpoint, configureTracing);
        builder.Logging.ClearProviders();
        if (configureLogging is not null) configureLogging(builder.Logging);
        else if (log) builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 << 20;
            if (host is "localhost") k.ListenLocalhost(port);
            else k.Listen(IPAddress.TryParse(host, out var ip) ? ip : throw new ArgumentException($"--host '{host}' is not an IP address"), port);
        });
        var loopback = host == "localhost" || (IPAddress.TryParse(host, out var bindIp) && IPAddress.IsLoopback(bindIp));
        var guard = new BrowserGuard(config.AllowedOrigins, config.AllowedHosts, loopback);
        builder.Services.AddCors(c => c.AddDefaultPolicy(p =>
        {
            if (config.AllowedOrigins.Contains("*")) p.AllowAnyOrigin(); else p.SetIsOriginAllowed(o => guard.IsOriginAllowed(o, null));
            p.AllowAnyHeader().AllowAnyMethod();
        }));
        var app = builder.Build();
        var state = new RouterState(config);
        var proxy = new ProxyHandler(state);
        RouterGuards.Use(app, guard);
        app.UseCors();
        app.MapPost("/v1/chat/completions", ctx => proxy.HandleAsync(ctx, "chat/completions"));
        app.MapPost("/v1/completions", ctx => proxy.HandleAsync(ctx, "completions"));
        app.MapPost("/v1/embeddings", ctx => proxy.HandleAsync(ctx, "embeddings"));
        app.MapGet("/v1/models", async ctx =>
        {
            var auth = RouterAuth.Authenticate(ctx, state);
            if (!auth.Ok) { await RouterAuth.WriteUnauthorizedAsync(ctx, auth.Error!); return; }
            var names = state.Routes.Keys.Where(m => auth.Key?.Key.Models is not { } allowed || allowed.Contains(m)).Order(StringComparer.Ordinal);
            var data = new JsonArray(names.Select(n => (JsonNode?)new JsonObject
                { ["id"] = n, ["object"] = "model", ["created"] = 0, ["owned_by"] = "hearth-router" }).ToArray());
            await JsonReply.WriteAsync(ctx, new JsonObject { ["object"] = "list", ["data"] = data });
        });
        app.MapGet("/health", async ctx =>
        {
            // Anyone may ask whether the router is up; only the master key (when set) sees the upstreams.
            var now = RouterState.NowMs;
            var ok = state.Upstreams.Any(u => u.IsAvailable(now));
            var body = new JsonObject { ["status"] = ok ? "ok" : "unavailable" };
            if (RouterAuth.IsAdmin(ctx, state))
                body["upstreams"] = new JsonArray(state.Upstreams.Select(u => (JsonNode?)new JsonObject
                {
                    ["name"] = u.Name, ["healthy"] = u.Healthy, ["breaker"] = u.Breaker.State.ToString().ToLowerInvariant(),
                    ["outstanding"] = u.Outstanding, ["available"] = u.IsAvailable(now),
                }).ToArray());
            await JsonReply.WriteAsync(ctx, body, ok ? 200 : 503);
        });
        app.MapGet("/metrics", async ctx =>
        {
            if (!RouterAuth.IsAdmin(ctx, state)) { await RouterAuth.WriteUnauthorizedAsync(ctx, "/metrics needs the master key"); return; }
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await ctx.Response.WriteAsync(await state.Metrics.RenderAsync(ctx.RequestAborted), ctx.RequestAborted);
        });
        AdminEndpoints.Map(app, state);
        try { await app.StartAsync(ct); }
        catch
        {
            await state.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var health = config.HealthCheck is { } hc ? new HealthChecker(state, hc) : null;
        var discovery = config.Discovery is { } dc ? new KubernetesDiscovery(state, dc) : null;
        return new RouterHost(app, state, health, discovery, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    /// <summary>Waits until the host shuts down (Ctrl+C or <paramref name="ct"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (_discovery is not null) await _discovery.DisposeAsync();
        if (_health is not null) await _health.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await State.DisposeAsync();
    }
}
