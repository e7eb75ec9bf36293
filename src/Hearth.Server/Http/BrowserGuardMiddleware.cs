using Hearth.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Http;

/// <summary>Refuses (403, before any work and before the API key check) requests from browser origins that are not
/// allowed and, on a loopback-bound server, requests whose Host header is not a local name (DNS rebinding).
/// See <see cref="BrowserGuard"/> for the rules.</summary>
internal sealed class BrowserGuardMiddleware(RequestDelegate next, BrowserGuard guard)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        var origin = ctx.Request.Headers.Origin.ToString();
        var refusal = guard.Refusal(origin.Length > 0 ? origin : null, ctx.Request.Host.Value);
        return refusal is null ? next(ctx) : ErrorWriter.WriteAsync(ctx, 403, refusal, code: "forbidden_origin");
    }
}
