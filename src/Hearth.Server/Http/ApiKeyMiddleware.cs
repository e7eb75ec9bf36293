using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Http;

/// <summary>With API keys configured, requires `Authorization: Bearer KEY` on every endpoint but the probes /health and
/// /ready (orchestrators' probes carry no key; /ready then names no model).
/// Keys are compared as SHA-256 digests in constant time, so neither the content nor the length of a key leaks
/// through timing.</summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeySet keys)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        if (!keys.Enabled || IsProbe(ctx.Request.Path))
        {
            await next(ctx);
            return;
        }
        var header = ctx.Request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        // Anthropic's clients send the key as `x-api-key`; any client may.
        var candidate = header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? header[prefix.Length..].Trim()
            : ctx.Request.Headers["x-api-key"].ToString().Trim();
        if (candidate.Length == 0)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await ErrorWriter.WriteAsync(ctx, 401, "Missing API key: send 'Authorization: Bearer YOUR_KEY'.", code: "missing_api_key");
            return;
        }
        if (keys.Identify(candidate) is not { } caller)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await ErrorWriter.WriteAsync(ctx, 401, "Incorrect API key provided.", code: "invalid_api_key");
            return;
        }
        RequestRecord.Of(ctx).Caller = caller;
        await next(ctx);
    }

    private static bool IsProbe(PathString path) =>
        path.Equals("/health", StringComparison.Ordinal) || path.Equals("/ready", StringComparison.Ordinal);
}

/// <summary>The configured API keys, kept only as SHA-256 digests.</summary>
public sealed class ApiKeySet(IEnumerable<string> keys)
{
    private readonly byte[][] _digests = keys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();

    public bool Enabled => _digests.Length > 0;

    /// <summary>Whether <paramref name="candidate"/> is one of the keys; checks every key (no early exit).</summary>
    public bool Contains(ReadOnlySpan<char> candidate) => Identify(candidate) is not null;

    /// <summary>Which key <paramref name="candidate"/> is: a stable id (a digest prefix, never the key), or null when
    /// it is none of them. Checks every key (no early exit).</summary>
    public string? Identify(ReadOnlySpan<char> candidate)
    {
        Span<byte> digest = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(candidate.ToArray());
        SHA256.HashData(bytes, digest);
        var found = -1;
        for (var i = 0; i < _digests.Length; i++)
            if (CryptographicOperations.FixedTimeEquals(_digests[i], digest)) found = i;
        return found < 0 ? null : "key-" + Convert.ToHexStringLower(_digests[found].AsSpan(0, 8));
    }
}
