using System.Security.Cryptography;
using System.Text;
using Hearth.Router.Keys;
using Microsoft.AspNetCore.Http;

namespace Hearth.Router.Proxy;

/// <summary>Who is calling: the master key (no limits), a virtual key (its limits), or anyone when no master key
/// is configured (a bearer that names a virtual key still gets that key's limits).</summary>
public readonly record struct AuthResult(bool Ok, bool IsMaster, KeyRuntime? Key, string? Error);

/// <summary>Bearer authentication against the master key and the virtual keys.</summary>
public static class RouterAuth
{
    public static string? Bearer(HttpContext ctx)
    {
        var h = ctx.Request.Headers.Authorization.ToString();
        return h.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && h.Length > 7 ? h[7..].Trim() : null;
    }

    public static AuthResult Authenticate(HttpContext ctx, RouterState state)
    {
        var bearer = Bearer(ctx);
        var master = state.Config.MasterKey;
        if (bearer is not null && master is not null && FixedEquals(bearer, master)) return new(true, true, null, null);
        var key = bearer is null ? null : state.Keys.Find(bearer);
        if (key is not null) return new(true, false, key, null);
        if (master is null) return new(true, false, null, null);
        return new(false, false, null, bearer is null ? "missing API key (Authorization: Bearer <key>)" : "invalid API key");
    }

    /// <summary>Admin endpoints: the master key when one is configured; open otherwise (the router binds loopback by default).</summary>
    public static bool IsAdmin(HttpContext ctx, RouterState state) =>
        state.Config.MasterKey is not { } master || (Bearer(ctx) is { } b && FixedEquals(b, master));

    /// <summary>401 in OpenAI's shape with the type the server uses (authentication_error).</summary>
    public static Task WriteUnauthorizedAsync(HttpContext ctx, string message)
    {
        ctx.Response.Headers.WWWAuthenticate = "Bearer";
        return OpenAiError.WriteAsync(ctx, 401, "authentication_error", message, "invalid_api_key");
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
