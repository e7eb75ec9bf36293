using System.Diagnostics.Metrics;
using Hearth.Metrics;
using Hearth.Telemetry;
using Hearth.Server.Generation;
using System.Net;
using Hearth.Engine;
using Hearth.Http;
using Hearth.Server.Http;
using Hearth.Server.Metrics;
using Hearth.Server.WebUi;
using Hearth.Store;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hearth.Server;

/// <summary>Builds the Hearth HTTP server: Kestrel, the middleware pipeline (request log → error mapping → origin and
/// host checks → CORS → web UI files → API keys → routing) and the route table in <see cref="Routes"/>.</summary>
public static class HearthServer
{
    /// <param name="options">Binding, keys and limits; checked here (<see cref="ServerOptions.Validate"/> throws
    /// <see cref="ArgumentException"/> for an empty key or an exposed address without one).</param>
    /// <param name="host">The loaded models. The caller owns it (dispose it after the app stops).</param>
    /// <param name="catalog">The model store; null serves the loaded models only (see <see cref="HostCatalog"/>).</param>
    /// <param name="configureLogging">Replaces the default single-line console logging (tests silence or capture it).</param>
    public static WebApplication Build(ServerOptions options, IModelHost host, IModelCatalog? catalog = null, Action<ILoggingBuilder>? configureLogging = null)
    {
        var keys = new ApiKeySet(options.Validate());
        var guard = new BrowserGuard(options.AllowedOrigins, options.AllowedHosts, options.IsLoopbackOnly);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            if (options.Host == "localhost") k.ListenLocalhost(options.Port);
            else if (IPAddress.TryParse(options.Host, out var ip)) k.Listen(ip, options.Port);
            else throw new ArgumentException($"--host must be an IP address or 'localhost', not '{options.Host}'");
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownDeadline);
        builder.Logging.ClearProviders();
        if (configureLogging is not null) configureLogging(builder.Logging);
        else
        {
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            // "Hosting failed to start" (e.g. a port in use) would print a stack trace; StartAsync rethrows the same
            // exception, and the caller reports it in one line.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(guard);
        // Adapter names (--lora, /v1/load_lora_adapter) are served in front of whatever host the caller gives.
        var loras = host as LoraModelHost ?? new LoraModelHost(host, new LoraRegistry(), ownsInner: false);
        host = loras;
        builder.Services.AddSingleton(loras);
        builder.Services.AddSingleton(host);
        builder.Services.AddSingleton(catalog ?? new HostCatalog(host));
        builder.Services.AddSingleton(sp => new ServerMetrics(sp.GetRequiredService<IMeterFactory>().Create(ServerMetrics.MeterName),
            () => host.Loaded().Select(m => m.Name).ToHashSet(StringComparer.Ordinal)));
        Tracing.Add(builder.Services, "hearth-serve", options.OtlpEndpoint, options.ConfigureTracing, GenerationTracing.SourceName);
        builder.Services.AddSingleton(sp => new PrometheusMeterExporter(sp.GetRequiredService<ServerMetrics>().Meter));
        builder.Services.AddSingleton(new Responses.ResponseStore(options.ResponseStoreCapacity, options.ResponseStoreMaxBytes));
        if (options.WebUi) WebUiSetup.AddServices(builder.Services);
        // Browsers may read answers only for origins the guard lets through (local ones and --allowed-origins).
        builder.Services.AddCors(c => c.AddDefaultPolicy(p =>
        {
            if (options.AllowedOrigins.Contains("*")) p.AllowAnyOrigin(); else p.SetIsOriginAllowed(o => guard.IsOriginAllowed(o, null));
            p.AllowAnyHeader().AllowAnyMethod();
        }));

        var app = builder.Build();
        app.Services.GetRequiredService<PrometheusMeterExporter>(); // listening from the start: a counter's Add is seen only by listeners already there
        app.UseMiddleware<RequestLogMiddleware>();
        if (options.WebUi) WebUiSetup.UseRequestLog(app);
        app.UseMiddleware<ErrorMiddleware>();
        app.UseMiddleware<BrowserGuardMiddleware>();
        app.UseCors(); // before keys: browsers send preflights without them
        if (options.WebUi) WebUiSetup.UseStaticFiles(app);
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRouting();
        Routes.Map(app);
        if (options.WebUi) WebUiSetup.MapRoutes(app);
        return app;
    }

    /// <summary>The addresses Kestrel bound (after StartAsync), e.g. "http://127.0.0.1:11435".</summary>
    public static IReadOnlyList<string> BoundAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
