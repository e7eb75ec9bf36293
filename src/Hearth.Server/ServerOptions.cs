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
    /// <summary>Browser origins allowed besides the server's own and the local ones (patterns with '*'; "*" for any).
    /// Requests from other origins get 403 before any work; allowed ones get CORS headers.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    /// <summary>OTLP endpoint for traces (`--otlp-endpoint`, else OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without one.</summary>
    public string? OtlpEndpoint { get; init; }
    /// <summary>Extra tracing setup (tests add an in-memory exporter); turns tracing on like an endpoint does.</summary>
    public Action<OpenTelemetry.Trace.TracerProviderBuilder>? ConfigureTracing { get; init; }
    /// <summary>Host names (no port; patterns with '*') accepted in the Host header besides localhost, 127.0.0.1 and
    /// [::1]. Checked when bound to loopback (against DNS rebinding) or when any is configured.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
    /// <summary>Accept binding a non-loopback address with no API key (start-up fails without it).</summary>
    public bool AllowUnauthenticated { get; init; }
    /// <summary>Whether /api/pull may download models (off: `--no-api-pull`, for exposed deployments).</summary>
    public bool AllowApiPull { get; init; } = true;
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
    /// <summary>Serve the web UI at "/" (to browsers) with its assets under /ui/ and its endpoints; `--no-ui` turns it off.</summary>
    public bool WebUi { get; init; } = true;

    /// <summary>All keys: <see cref="ApiKeys"/> plus those in <see cref="ApiKeyFile"/>. An empty or blank key (an unset
    /// shell variable) and a key file without a key are errors (<see cref="ArgumentException"/>), never "no auth".</summary>
    public IReadOnlyList<string> ResolveApiKeys()
    {
        var keys = new List<string>();
        foreach (var k in ApiKeys)
        {
            if (string.IsNullOrWhiteSpace(k))
                throw new ArgumentException("--api-key is empty (an unset shell variable?); give a key, or drop --api-key to serve without one");
            keys.Add(k.Trim());
        }
        if (ApiKeyFile is not null)
        {
            if (!File.Exists(ApiKeyFile)) throw new FileNotFoundException($"API key file '{ApiKeyFile}' not found", ApiKeyFile);
            var fromFile = File.ReadAllLines(ApiKeyFile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            if (fromFile.Count == 0)
                throw new ArgumentException($"API key file '{ApiKeyFile}' has no key (one key per line; blank lines and '#' comments are ignored)");
            keys.AddRange(fromFile);
        }
        if (keys.FirstOrDefault(k => k.Any(char.IsWhiteSpace) || k.Any(char.IsControl)) is { } bad)
            throw new ArgumentException($"an API key may not contain spaces or control characters (a key starting '{bad[..Math.Min(4, bad.Length)]}…')");
        return keys;
    }

    /// <summary>Checks the options as a whole and returns the API keys: a non-loopback address needs a key unless
    /// <see cref="AllowUnauthenticated"/> is set. Throws <see cref="ArgumentException"/> with what to do.</summary>
    public IReadOnlyList<string> Validate()
    {
        var keys = ResolveApiKeys();
        if (!IsLoopbackOnly && keys.Count == 0 && !AllowUnauthenticated)
            throw new ArgumentException($"--host {Host} accepts connections from other machines, and no API key is set: anyone who can reach it "
                + "can use it. Add a key with --api-key KEY or --api-key-file FILE (clients send 'Authorization: Bearer KEY'), "
                + "or pass --allow-unauthenticated to serve without one");
        return keys;
    }

    /// <summary>One phrase for the start-up line: whether keys are required and what is exposed.</summary>
    public string DescribeAuth(int keyCount) => keyCount > 0
        ? $"auth: API key required ({keyCount} key{(keyCount == 1 ? "" : "s")})"
        : IsLoopbackOnly ? "auth: none (no --api-key)"
        : "auth: NONE (--allow-unauthenticated) — WARNING: anyone who can reach this address can use it";

    /// <summary>True when the bound address accepts only local connections.</summary>
    public bool IsLoopbackOnly =>
        Host == "localhost" || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
