using System.Diagnostics;
using Hearth.Engine;
using Hearth.Server.Http;
using Hearth.Server.Metrics;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Generation;

/// <summary>Takes a model lease for a request: the one place that loads models for HTTP handlers.</summary>
public static class ModelAccess
{
    /// <summary>Acquires <paramref name="name"/> (null/empty: the default model); returns the lease and how long loading took.</summary>
    public static async Task<(ModelLease Lease, TimeSpan LoadTime)> AcquireAsync(HttpContext ctx, string? name, TimeSpan? keepAlive = null)
    {
        var host = ctx.RequestServices.GetRequiredService<IModelHost>();
        var start = Stopwatch.GetTimestamp();
        var lease = await host.AcquireAsync(string.IsNullOrWhiteSpace(name) ? null : name, keepAlive, ctx.RequestAborted);
        var metrics = ctx.RequestServices.GetRequiredService<ServerMetrics>();
        metrics.TrackEngine(lease.Model.EngineName, lease.Model.Engine);
        if (lease.Model.Adapters is { } adapters) metrics.TrackAdapters(lease.Model.EngineName, adapters);
        if (lease.Model.Embedder is { } embedder) metrics.TrackEmbedder(lease.Model.Name, embedder);
        RequestRecord.Of(ctx).Model = lease.Model.Name;
        return (lease, Stopwatch.GetElapsedTime(start));
    }
}
