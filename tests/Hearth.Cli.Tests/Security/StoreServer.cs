using Hearth.Cli.Commands;
using Hearth.Engine;
using Hearth.Server;
using Hearth.Store;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Cli.Tests.Security;

/// <summary>`hearth serve` as the CLI builds it, in-process: a real store in a temp HEARTH_HOME (with the embedded
/// model registered), a ModelHost loading store models with the real engine, the HTTP server on 127.0.0.1.</summary>
internal sealed class StoreServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StoreServer(WebApplication app, ModelStore store, ModelHost host, Uri address)
    {
        _app = app;
        Store = store;
        Host = host;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ModelStore Store { get; }
    public ModelHost Host { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }

    public static async Task<StoreServer> StartAsync(string home, ServerOptions? options = null)
    {
        var store = new ModelStore(home, environment: _ => null);
        var embedded = EmbeddedModel.EnsureRegistered(store);
        var settings = new ServeEngineSettings(Threads: 1, new EngineOptions { KvCacheMemoryBytes = 16L << 20, MaxNumSeqs = 8 });
        var host = new ModelHost(store, (entry, ct) => Task.Run(() => ServeModelLoader.Load(entry.Name, entry.GgufPath, entry, settings), ct),
            new ModelHostOptions { DefaultModelName = embedded.Name, DefaultKeepAlive = TimeSpan.FromMinutes(5) });
        var app = HearthServer.Build((options ?? new ServerOptions()) with { Port = 0, Host = "127.0.0.1", LogRequests = false }, host, store);
        await app.StartAsync();
        return new StoreServer(app, store, host, new Uri(HearthServer.BoundAddresses(app)[0].TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Host.DisposeAsync();
    }
}
