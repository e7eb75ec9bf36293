using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Store.Tests.Store;

/// <summary>A local stand-in for the Hugging Face hub's file API on 127.0.0.1 (Kestrel, free port): the tree listing,
/// the model info with siblings, and resolve/main downloads with HTTP Range support. It records every request.</summary>
internal sealed class FakeHub : IAsyncDisposable
{
    private readonly WebApplication _app;

    /// <summary>repo → (path → (bytes, advertised sha256 hex or null)).</summary>
    public ConcurrentDictionary<string, Dictionary<string, (byte[] Bytes, string? Sha256)>> Repos { get; } = new();
    public ConcurrentQueue<(string Path, string? Authorization, string? Range, string? IfRange)> Requests { get; } = new();
    /// <summary>When set, the next download sends this many bytes and then drops the connection.</summary>
    public int? CutNextDownloadAfter { get; set; }
    /// <summary>When false, Range headers are ignored (the whole file is sent with 200).</summary>
    public bool SupportsRange { get; set; } = true;
    public bool TreeApi { get; set; } = true;

    private FakeHub(WebApplication app) => _app = app;

    public string Endpoint => _app.Urls.First();

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var hub = new FakeHub(app);
        app.Use(async (ctx, next) =>
        {
            hub.Requests.Enqueue((ctx.Request.Path.Value!, ctx.Request.Headers.Authorization.FirstOrDefault(), ctx.Request.Headers.Range.FirstOrDefault(),
                ctx.Request.Headers["If-Range"].FirstOrDefault()));
            await next();
        });
        app.MapGet("/api/models/{owner}/{repo}/tree/main", (string owner, string repo) =>
        {
            if (!hub.TreeApi || !hub.Repos.TryGetValue($"{owner}/{repo}", out var files)) return Results.NotFound();
            return Results.Json(files.Select(f => new Dictionary<string, object?>
            {
                ["type"] = "file", ["path"] = f.Key, ["size"] = f.Value.Bytes.Length, ["oid"] = "0123456789abcdef",
                ["lfs"] = f.Value.Sha256 is null ? null : new { oid = f.Value.Sha256, size = f.Value.Bytes.Length, pointerSize = 134 },
            }));
        });
        app.MapGet("/api/models/{owner}/{repo}", (string owner, string repo) =>
        {
            if (!hub.Repos.TryGetValue($"{owner}/{repo}", out var files)) return Results.NotFound();
            return Results.Json(new
            {
                id = $"{owner}/{repo}",
                siblings = files.Select(f => new { rfilename = f.Key, size = f.Value.Bytes.Length, lfs = f.Value.Sha256 is null ? null : new { sha256 = f.Value.Sha256, size = f.Value.Bytes.Length } }),
            });
        });
        app.MapGet("/{owner}/{repo}/resolve/main/{**file}", (HttpContext ctx, string owner, string repo, string file) =>
            hub.ServeAsync(ctx, $"{owner}/{repo}", file));
        app.MapGet("/files/{name}", (HttpContext ctx, string name) => hub.ServeAsync(ctx, "files", name));
        await app.StartAsync();
        return hub;
    }

    private Task ServeAsync(HttpContext ctx, string repo, string file)
    {
        if (Repos.TryGetValue(repo, out var files) && files.TryGetValue(file, out var f)) return SendAsync(ctx, f.Bytes);
        ctx.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    /// <summary>When false, no ETag is sent (the download cannot be resumed safely).</summary>
    public bool SendsETag { get; set; } = true;

    /// <summary>A strong ETag derived from the content, so a changed file has a new one.</summary>
    public static string ETagOf(byte[] bytes) => "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16] + "\"";

    private async Task SendAsync(HttpContext ctx, byte[] bytes)
    {
        long start = 0;
        var range = ctx.Request.Headers.Range.FirstOrDefault();
        var etag = ETagOf(bytes);
        if (SendsETag) ctx.Response.Headers.ETag = etag;
        // If-Range: the range applies only while the file is the version the client has; otherwise send it whole.
        var ifRange = ctx.Request.Headers["If-Range"].FirstOrDefault();
        var sameVersion = ifRange is null || ifRange == etag;
        if (SupportsRange && sameVersion && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range[6..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (start >= bytes.Length)
            {
                ctx.Response.StatusCode = 416;
                ctx.Response.Headers.ContentRange = $"bytes */{bytes.Length}";
                return;
            }
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        }
        ctx.Response.ContentLength = bytes.Length - start;
        ctx.Response.ContentType = "application/octet-stream";
        if (CutNextDownloadAfter is { } cut)
        {
            CutNextDownloadAfter = null;
            await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)start, cut));
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(200);
            ctx.Abort();
            return;
        }
        await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)start));
    }

    public void AddFile(string repo, string path, byte[] bytes, string? sha256)
    {
        var files = Repos.GetOrAdd(repo, _ => new Dictionary<string, (byte[], string?)>(StringComparer.Ordinal));
        lock (files) files[path] = (bytes, sha256);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
