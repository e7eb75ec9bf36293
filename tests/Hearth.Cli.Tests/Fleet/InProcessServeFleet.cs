using Hearth.Cli.Commands;
using Hearth.Cli.FleetBench;
using Hearth.Engine;
using Hearth.Server;
using Hearth.Store.Hosting;
using Hearth.Tests;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Cli.Tests.Fleet;

/// <summary>N real Hearth servers (HTTP on 127.0.0.1, each its own engine and KV cache) on the embedded model, in this
/// process: the benchmark's process fleet without the start-up time.</summary>
public sealed class InProcessServeFleet : IServeFleet
{
    public const string ModelName = "tinystories:latest";
    private readonly List<(WebApplication App, StaticModelHost Host)> _servers = [];

    public IReadOnlyList<Uri> Origins { get; private set; } = [];

    public static async Task<IServeFleet> StartAsync(int replicas, CancellationToken ct)
    {
        var fleet = new InProcessServeFleet();
        var origins = new List<Uri>();
        try
        {
            for (var i = 0; i < replicas; i++)
            {
                var settings = new ServeEngineSettings(Threads: 1, new EngineOptions { KvCacheMemoryBytes = 32L << 20, MaxNumSeqs = 32 });
                var host = new StaticModelHost([ServeModelLoader.Load(ModelName, TestPaths.EmbeddedModel, null, settings)]);
                var app = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false }, host);
                fleet._servers.Add((app, host));
                await app.StartAsync(ct);
                origins.Add(new Uri(HearthServer.BoundAddresses(app)[0].TrimEnd('/') + "/"));
            }
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
        fleet.Origins = origins;
        return fleet;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (app, host) in _servers)
        {
            await app.DisposeAsync();
            await host.DisposeAsync();
        }
    }
}
