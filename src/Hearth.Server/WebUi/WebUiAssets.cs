using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;

namespace Hearth.Server.WebUi;

/// <summary>The web UI's built files (webui/ → WebUi/dist, committed), embedded in this assembly as resources named
/// "webui/…". Read once at start-up: the whole bundle is a few hundred KB, so serving from memory with a strong
/// ETag is simpler and faster than any file provider.</summary>
public sealed class WebUiAssets
{
    /// <summary>One embedded file, ready to send; <paramref name="Gzip"/> is its gzip form when that is smaller.</summary>
    public sealed record Asset(byte[] Body, byte[]? Gzip, string ContentType, string ETag);

    private const string Prefix = "webui/";
    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    public WebUiAssets() : this(typeof(WebUiAssets).Assembly) { }

    internal WebUiAssets(Assembly assembly)
    {
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var body = copy.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12)) + "\"";
            _assets[name[Prefix.Length..]] = new Asset(body, Compress(body), ContentTypeOf(name), etag);
        }
    }

    /// <summary>Relative paths of every embedded file (e.g. "index.html", "app.js").</summary>
    public IEnumerable<string> Paths => _assets.Keys;

    /// <summary>The file at <paramref name="path"/> (relative, no leading '/'), or null.</summary>
    public Asset? Find(string path) => _assets.GetValueOrDefault(path);

    private static byte[]? Compress(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(body);
        return output.Length < body.Length * 9 / 10 ? output.ToArray() : null;
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}
