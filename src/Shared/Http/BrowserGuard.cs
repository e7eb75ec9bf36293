namespace Hearth.Http;

/// <summary>Browser protections shared by the server and the router (like Ollama's defaults):
/// <list type="bullet">
/// <item>a request with an <c>Origin</c> header is refused unless the origin is the server's own (same host and port
/// as the <c>Host</c> header), a local origin (http(s)://localhost, 127.0.0.1, [::1], 0.0.0.0 on any port; app://,
/// file://, tauri://, vscode-webview://) or matches an allowed origin (<c>*</c> is a wildcard). This stops any web
/// page from POSTing to a local server with a "simple" request that needs no CORS preflight;</item>
/// <item>when the server listens on loopback only (or allowed hosts are configured), a <c>Host</c> header that is not
/// localhost / 127.0.0.1 / [::1] (any port) or an allowed host is refused, which stops DNS rebinding.</item>
/// </list></summary>
internal sealed class BrowserGuard
{
    private static readonly string[] LocalOrigins =
    [
        "http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
        "http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
        "http://[::1]", "https://[::1]", "http://[::1]:*", "https://[::1]:*",
        "http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
        "app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*",
    ];
    private static readonly string[] LocalHosts = ["localhost", "127.0.0.1", "::1"];

    private readonly string[] _origins;
    private readonly string[] _hosts;
    private readonly bool _checkHost;

    /// <param name="allowedOrigins">Extra origins (patterns with <c>*</c>); "*" allows every origin.</param>
    /// <param name="allowedHosts">Extra host names (patterns with <c>*</c>, no port); "*" allows every host.</param>
    /// <param name="loopbackOnly">Whether the server listens on loopback only (then the Host header is checked).</param>
    public BrowserGuard(IEnumerable<string> allowedOrigins, IEnumerable<string> allowedHosts, bool loopbackOnly)
    {
        _origins = [.. LocalOrigins, .. allowedOrigins.Select(o => o.Trim().TrimEnd('/')).Where(o => o.Length > 0)];
        _hosts = [.. LocalHosts, .. allowedHosts.Select(h => h.Trim()).Where(h => h.Length > 0)];
        _checkHost = loopbackOnly || _hosts.Length > LocalHosts.Length;
    }

    /// <summary>Whether a browser origin may call the server (also the CORS policy's answer).</summary>
    public bool IsOriginAllowed(string origin, string? host) =>
        (host is { Length: > 0 } && (string.Equals(origin, "http://" + host, StringComparison.OrdinalIgnoreCase)
                                     || string.Equals(origin, "https://" + host, StringComparison.OrdinalIgnoreCase)))
        || _origins.Any(p => Glob.Matches(p, origin));

    /// <summary>Null when the request may proceed, else the reason for a 403.</summary>
    public string? Refusal(string? origin, string? host)
    {
        if (_checkHost && host is { Length: > 0 } && !IsHostAllowed(HostName(host)))
            return $"host '{host}' is not allowed; this server answers localhost names only (add it with --allowed-hosts)";
        if (origin is { Length: > 0 } && !IsOriginAllowed(origin, host))
            return $"origin '{origin}' is not allowed (add it with --allowed-origins)";
        return null;
    }

    private bool IsHostAllowed(string name) => _hosts.Any(p => Glob.Matches(p, name));

    /// <summary>"localhost:11435" → "localhost"; "[::1]:80" → "::1"; "example.com." → "example.com".</summary>
    internal static string HostName(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            return close > 0 ? host[1..close] : host;
        }
        var colon = host.LastIndexOf(':');
        var name = colon >= 0 && host.IndexOf(':') == colon ? host[..colon] : host;
        return name.TrimEnd('.');
    }

    /// <summary>Case-insensitive matching where <c>*</c> stands for any run of characters.</summary>
    internal static class Glob
    {
        public static bool Matches(string pattern, string text) => Match(pattern.AsSpan(), text.AsSpan());

        private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> t)
        {
            var star = p.IndexOf('*');
            if (star < 0) return p.Equals(t, StringComparison.OrdinalIgnoreCase);
            if (t.Length < star || !p[..star].Equals(t[..star], StringComparison.OrdinalIgnoreCase)) return false;
            var rest = p[(star + 1)..];
            for (var i = star; i <= t.Length; i++)
                if (Match(rest, t[i..])) return true;
            return false;
        }
    }
}
