using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli.Tests.Security;

/// <summary>A file server on 127.0.0.1 (free port) for pulls: GET /files/NAME with a strong ETag, Range and If-Range
/// (a changed file is sent whole), and a switch that breaks the next download off after N bytes.</summary>
internal sealed class FileOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private FileOrigin(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, byte[]> Files { get; } = new();
    public ConcurrentQueue<(string Path, string? Range, string? IfRange)> Requests { get; } = new();
    public int? CutNextDownloadAfter { get; set; }
    public string Url(string name) => $"{_app.Urls.First()}/files/{name}";

    public static string ETagOf(byte[] bytes) => "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16] + "\"";

    public static async Task<FileOrigin> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var origin = new FileOrigin(app);
        app.MapGet("/files/{name}", (HttpContext ctx, string name) => origin.ServeAsync(ctx, name));
        await app.StartAsync();
        return origin;
    }

    private async Task ServeAsync(HttpContext ctx, string name)
    {
        var range = ctx.Request.Headers.Range.FirstOrDefault();
        var ifRange = ctx.Request.Headers["If-Range"].FirstOrDefault();
        Requests.Enqueue((name, range, ifRange));
        if (!Files.TryGetValue(name, out var bytes))
        {
            ctx.Response.StatusCode = 404;
            return;
        }
        var etag = ETagOf(bytes);
        ctx.Response.Headers.ETag = etag;
        long start = 0;
        if (range is not null && (ifRange is null || ifRange == etag) && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range[6..^1], System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        }
        ctx.Response.ContentLength = bytes.Length - start;
        if (CutNextDownloadAfter is { } cut)
        {
            CutNextDownloadAfter = null;
            await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)start, cut));
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(100);
            ctx.Abort();
            return;
        }
        await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)start));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
