using System.Text;
using System.Text.Json;
using Hearth.Engine;
using Hearth.Store.Hosting;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hearth.Server.Cluster;

/// <summary>GET /v1/kv_events?model=NAME: the model's prefix cache as server-sent events, for routers that send each
/// request to the replica holding the longest part of its prompt. Events (data is JSON; hashes are 16 hex digits,
/// the chained block hashes of <see cref="PrefixHashes"/>):
/// <list type="bullet">
/// <item><c>snapshot</c> {model, block_size, hashes}: every block hash in the cache now; replaces what the reader had.</item>
/// <item><c>update</c> {stored, removed}: hashes that entered and left the cache since the last event (disjoint).</item>
/// <item><c>load</c> {loaded, running, waiting, kv_usage}: about once a second, also a keep-alive.</item>
/// <item><c>reset</c> {reason}: the cache is gone (model unloaded) or the reader fell behind; forget every hash.
/// A snapshot follows when the model is loaded again.</item>
/// </list>
/// The stream never loads a model or keeps one loaded; it ends when the client leaves or the server stops.</summary>
public static class KvEventsEndpoint
{
    /// <summary>How often a load event is sent (and a model not loaded yet is looked for again).</summary>
    public static TimeSpan LoadInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most hashes in one update event; a larger burst goes out as several.</summary>
    private const int MaxHashesPerUpdate = 8192;

    public static async Task Handle(HttpContext ctx)
    {
        var name = ctx.Request.Query["model"].ToString();
        var host = ctx.RequestServices.GetRequiredService<IModelHost>();
        var stopping = ctx.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        var ct = linked.Token;

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var stream = new EventStream(ctx.Response.Body, ct);
        try
        {
            await ctx.Response.StartAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                var model = host.FindLoaded(string.IsNullOrEmpty(name) ? null : name);
                if (model?.Engine.PrefixCache is not { } cache)
                {
                    await stream.SendAsync("load", w => w.WriteBoolean("loaded", false));
                    await Task.Delay(LoadInterval, ct);
                    continue;
                }
                var reason = await FollowAsync(stream, model, cache, ct);
                await stream.SendAsync("reset", w => w.WriteString("reason", reason));
                // An engine that stopped may still be found for a moment: look again after a pause, not in a spin.
                await Task.Delay(LoadInterval / 4, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The router left or the server is stopping: the stream just ends.
        }
    }

    /// <summary>Sends the snapshot, then updates and load events until the subscription ends; returns why it ended.</summary>
    private static async Task<string> FollowAsync(EventStream stream, LoadedModel model, PrefixCacheEvents cache, CancellationToken ct)
    {
        using var sub = cache.Subscribe();
        await stream.SendAsync("snapshot", w =>
        {
            w.WriteString("model", model.Name);
            w.WriteNumber("block_size", cache.BlockSize);
            WriteHashes(w, "hashes", sub.Snapshot);
        });
        await SendLoadAsync(stream, model);
        var nextLoad = DateTime.UtcNow + LoadInterval;
        var net = new Dictionary<ulong, bool>();
        while (true)
        {
            bool open;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                wait.CancelAfter(Max(nextLoad - DateTime.UtcNow, TimeSpan.Zero));
                try { open = await sub.Batches.WaitToReadAsync(wait.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { open = true; }
                catch (PrefixCacheSubscriberTooSlowException) { return "behind"; }
            }
            if (!open) return "unloaded";
            // Coalesce what is queued into one net change per hash (last change wins).
            while (net.Count < MaxHashesPerUpdate && sub.Batches.TryRead(out var batch))
                foreach (var c in batch.Changes) net[c.Hash] = c.Stored;
            if (net.Count > 0)
            {
                await stream.SendAsync("update", w =>
                {
                    WriteHashes(w, "stored", net.Where(kv => kv.Value).Select(kv => kv.Key));
                    WriteHashes(w, "removed", net.Where(kv => !kv.Value).Select(kv => kv.Key));
                });
                net.Clear();
            }
            if (DateTime.UtcNow >= nextLoad)
            {
                await SendLoadAsync(stream, model);
                nextLoad = DateTime.UtcNow + LoadInterval;
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static Task SendLoadAsync(EventStream stream, LoadedModel model)
    {
        var stats = model.Engine.GetStats();
        return stream.SendAsync("load", w =>
        {
            w.WriteBoolean("loaded", true);
            w.WriteNumber("running", stats.RunningRequests);
            w.WriteNumber("waiting", stats.WaitingRequests);
            w.WriteNumber("kv_usage", Math.Round(stats.KvCacheUsage, 4));
        });
    }

    private static void WriteHashes(Utf8JsonWriter w, string name, IEnumerable<ulong> hashes)
    {
        w.WriteStartArray(name);
        foreach (var h in hashes) w.WriteStringValue(PrefixHashes.ToHex(h));
        w.WriteEndArray();
    }

    /// <summary>Writes named events (<c>event: NAME\ndata: {…}\n\n</c>) and flushes each.</summary>
    private sealed class EventStream(Stream body, CancellationToken ct)
    {
        public async Task SendAsync(string name, Action<Utf8JsonWriter> fields)
        {
            var json = JsonOut.ToBytes(w =>
            {
                w.WriteStartObject();
                fields(w);
                w.WriteEndObject();
            });
            await body.WriteAsync(Encoding.ASCII.GetBytes("event: " + name + "\ndata: "), ct);
            await body.WriteAsync(json, ct);
            await body.WriteAsync("\n\n"u8.ToArray(), ct);
            await body.FlushAsync(ct);
        }
    }
}
