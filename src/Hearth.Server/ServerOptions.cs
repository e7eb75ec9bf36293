namespace Hearth.Server;

/// <summary>How the HTTP server binds, authenticates and limits requests.</summary>
public sealed record ServerOptions
{
    /// <summary>Address to bind: an IP literal or "localhost". Loopback by default so nothing is exposed by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 11435;
    /// <summary>Accepted API keys. With any key configured every endpoint but /health requires `Authorization: Bearer KEY`.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    /// <summary>A file with one API key per line (blank lines and lines starting with '#' are ignored).</summary>
    public string? ApiKeyFile { get; init; }
    /// <summary>Largest accepted request body; larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>Origins allowed by CORS ("*" for any). Empty: CORS off.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];
    /// <summary>On shutdown, in-flight requests get this long to finish before they are cancelled.</summary>
    public TimeSpan ShutdownDeadline { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Retry-After sent with 429 when the engine's waiting queue is full.</summary>
    public TimeSpan BusyRetryAfter { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Most responses the Responses API keeps for `store: true` (least recently used evicted first).</summary>
    public int ResponseStoreCapacity { get; init; } = 1000;
    /// <summary>Most bytes the stored responses may take together.</summary>
    public long ResponseStoreMaxBytes { get; init; } = 64L << 20;
    /// <summary>Write one log line per request (id, model, tokens, ttft, duration, status).</summary>
    public bool LogRequests { get; init; } = true;

    /// <summary>All keys: <see cref="ApiKeys"/> plus those in <see cref="ApiKeyFile"/>.</summary>
    public IReadOnlyList<string> ResolveApiKeys()
    {
        var keys = new List<string>(ApiKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k.Trim()));
        if (ApiKeyFile is not null)
        {
            if (!File.Exists(ApiKeyFile)) throw new FileNotFoundException($"API key file '{ApiKeyFile}' not found", ApiKeyFile);
            keys.AddRange(File.ReadAllLines(ApiKeyFile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')));
        }
        return keys;
    }

    /// <summary>True when the bound address accepts only local connections.</summary>
    public bool IsLoopbackOnly =>
        Host == "localhost" || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
