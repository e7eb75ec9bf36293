using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Store.Tests.Store;

/// <summary>A local Ollama-style registry on 127.0.0.1 (Kestrel, free port): OCI manifests at
/// /v2/{ns}/{model}/manifests/{tag}, blobs at /v2/{ns}/{model}/blobs/{digest} (Range and If-Range honoured, an ETag per
/// blob), and optionally the Docker token flow (401 + WWW-Authenticate: Bearer realm=/token, which hands out a token).
/// It records every request.</summary>
internal sealed class FakeRegistry : IAsyncDisposable
{
    public const string Token = "registry-token-123";
    private readonly WebApplication _app;

    /// <summary>"ns/model:tag" → manifest JSON.</summary>
    public ConcurrentDictionary<string, string> Manifests { get; } = new();
    /// <summary>digest → bytes served for it (a test may serve wrong bytes under a digest).</summary>
    public ConcurrentDictionary<string, byte[]> Blobs { get; } = new();
    public ConcurrentQueue<(string Path, string? Authorization, string? Range, string Query)> Requests { get; } = new();
    /// <summary>When true, every /v2 request without the token gets a Bearer challenge.</summary>
    public bool RequireToken { get; set; }
    /// <summary>When set, the next blob download sends this many bytes and then drops the connection.</summary>
    public int? CutNextDownloadAfter { get; set; }

    private FakeRegistry(WebApplication app) => _app = app;

    public string Url => _app.Urls.First();

    public static async Task<FakeRegistry> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var r = new FakeRegistry(app);
        app.Use(async (ctx, next) =>
        {
            r.Requests.Enqueue((ctx.Request.Path.Value!, ctx.Request.Headers.Authorization.FirstOrDefault(), ctx.Request.Headers.Range.FirstOrDefault(), ctx.Request.QueryString.Value ?? ""));
            if (r.RequireToken && ctx.Request.Path.StartsWithSegments("/v2") && ctx.Request.Headers.Authorization.FirstOrDefault() != $"Bearer {Token}")
            {
                ctx.Response.StatusCode = 401;
                ctx.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{r.Url}/token\",service=\"fake-registry\",scope=\"repository:{Repo(ctx.Request.Path.Value!)}:pull\"";
                return;
            }
            await next();
        });
        app.MapGet("/token", () => Results.Json(new { token = Token }));
        app.MapGet("/v2/{ns}/{model}/manifests/{tag}", (string ns, string model, string tag) =>
            r.Manifests.TryGetValue($"{ns}/{model}:{tag}", out var json)
                ? Results.Text(json, "application/vnd.docker.distribution.manifest.v2+json")
                : Results.Json(new { errors = new[] { new { code = "MANIFEST_UNKNOWN", message = "manifest unknown" } } }, statusCode: 404));
        app.MapGet("/v2/{ns}/{model}/blobs/{digest}", (HttpContext ctx, string digest) => r.ServeBlobAsync(ctx, digest));
        await app.StartAsync();
        return r;
    }

    private static string Repo(string path)
    {
        var parts = path.Split('/');
        return parts.Length > 3 ? $"{parts[2]}/{parts[3]}" : "";
    }

    /// <summary>Adds a blob under its true sha256 digest and returns the digest.</summary>
    public string AddBlob(byte[] bytes)
    {
        string digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        Blobs[digest] = bytes;
        return digest;
    }

    /// <summary>Publishes ns/model:tag with a model layer and settings layers (media type suffix → text).</summary>
    public void AddModel(string repoTag, byte[] gguf, params (string Kind, string Text)[] layers) =>
        Manifests[repoTag] = ManifestJson([("model", AddBlob(gguf), gguf.Length), .. layers.Select(l => (l.Kind, AddBlob(Encoding.UTF8.GetBytes(l.Text)), (long)Encoding.UTF8.GetByteCount(l.Text)))]);

    public static string ManifestJson(IEnumerable<(string Kind, string Digest, long Size)> layers) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.docker.distribution.manifest.v2+json",
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", digest = "sha256:" + new string('0', 64), size = 2 },
            layers = layers.Select(l => new { mediaType = $"application/vnd.ollama.image.{l.Kind}", digest = l.Digest, size = l.Size }),
        });

    private async Task ServeBlobAsync(HttpContext ctx, string digest)
    {
        if (!Blobs.TryGetValue(digest, out var bytes))
        {
            ctx.Response.StatusCode = 404;
            return;
        }
        string etag = $"\"{digest[7..23]}\"";
        ctx.Response.Headers.ETag = etag;
        long start = 0;
        var range = ctx.Request.Headers.Range.FirstOrDefault();
        var ifRange = ctx.Request.Headers.IfRange.FirstOrDefault();
        bool rangeApplies = range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && (ifRange is null || ifRange == etag);
        if (rangeApplies)
        {
            start = long.Parse(range![6..^1], System.Globalization.CultureInfo.InvariantCulture);
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
        if (CutNextDownloadAfter is { } cut && bytes.Length > cut)
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

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
