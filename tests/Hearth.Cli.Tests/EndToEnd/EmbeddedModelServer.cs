using Hearth.Cli.Commands;
using Hearth.Engine;
using Hearth.Server;
using Hearth.Store.Hosting;
using Hearth.Tests;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Cli.Tests.EndToEnd;

/// <summary>The real stack on the committed default model: GGUF → CPU backend → DecoderModel → AsyncEngine → HTTP on
/// 127.0.0.1 (a free port). Shared by the end-to-end tests of one class.</summary>
public sealed class EmbeddedModelServer : IAsyncLifetime
{
    public const string ModelName = "tinystories:latest";
    private WebApplication? _app;
    private StaticModelHost? _host;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new ServeEngineSettings(Threads: 1, new EngineOptions { KvCacheMemoryBytes = 64L << 20, MaxNumSeqs = 64 });
        var model = ServeModelLoader.Load(ModelName, TestPaths.EmbeddedModel, null, settings);
        _host = new StaticModelHost([model]);
        _app = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false }, _host);
        await _app.StartAsync();
        BaseAddress = new Uri(HearthServer.BoundAddresses(_app)[0].TrimEnd('/') + "/");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        if (_host is not null) await _host.DisposeAsync();
    }
}
