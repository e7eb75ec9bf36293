using Hearth.Cli.Commands;
using Hearth.Engine;
using Hearth.Server;
using Hearth.Store;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Cli.Tests.WebUi;

/// <summary>`hearth serve` as the README starts it, in-process: a real store in a temp HEARTH_HOME with the embedded
/// default model registered, models loaded on demand by the CPU engine, HTTP on 127.0.0.1 (a free port).</summary>
internal sealed class WebUiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelHost _host;
    private readonly string _home;

    public ModelStore Store { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    private WebUiServer(string home, ModelStore store, ModelHost host, WebApplication app)
    {
        _home = home; Store = store; _host = host; _app = app;
        BaseAddress = new Uri(HearthServer.BoundAddresses(app)[0].TrimEnd('/') + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static async Task<WebUiServer> StartAsync(params string[] apiKeys)
    {
        var home = Path.Combine(Path.GetTempPath(), "hearth-webui-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        var store = new ModelStore(home);
        var embedded = EmbeddedModel.EnsureRegistered(store);
        var settings = new ServeEngineSettings(Threads: 1, new EngineOptions { KvCacheMemoryBytes = 64L << 20, MaxNumSeqs = 64 });
        var host = new ModelHost(store, (entry, ct) => Task.Run(() => ServeModelLoader.Load(entry.Name, entry.GgufPath, entry, settings), ct),
            new ModelHostOptions { DefaultModelName = embedded.Name, DefaultKeepAlive = TimeSpan.FromMinutes(5) });
        var app = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false, ApiKeys = apiKeys }, host, store, _ => { });
        await app.StartAsync();
        return new WebUiServer(home, store, host, app);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _host.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }
}
