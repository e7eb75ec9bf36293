using Hearth.Http;
using Hearth.Router.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Router.Hosting;

/// <summary>The router's outer middleware: a last-resort error answer (a 500 that names a request id and nothing
/// internal, logged with its stack) and the browser protections (origin and Host checks, 403 before any work).</summary>
internal static class RouterGuards
{
    public static void Use(WebApplication app, BrowserGuard guard)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Hearth.Router");
        app.Use(async (ctx, next) =>
        {
            var id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 12));
            ctx.Response.Headers["x-request-id"] = id;
            try
            {
                await next(ctx);
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
                // the client left; nothing to answer
            }
            catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
            {
                // The client's fault, seen by Kestrel while the body was read (it hung up mid-body, or sent more than it
                // announced): a 4xx with Kestrel's reason, as the server answers it, and no error in the log.
                ctx.Response.Clear();
                await OpenAiError.WriteAsync(ctx, e.StatusCode, "invalid_request_error",
                    e.StatusCode == 413 ? "request body too large" : e.Message, e.StatusCode == 413 ? "request_too_large" : null);
            }
            catch (Exception e) when (!ctx.Response.HasStarted)
            {
                logger.LogError(e, "request id={RequestId} {Method} {Path} failed", id, ctx.Request.Method, ctx.Request.Path.Value);
                ctx.Response.Clear();
                await OpenAiError.WriteAsync(ctx, 500, "server_error", $"internal router error (request id {id}); the router log has the details");
            }
        });
        app.Use((ctx, next) =>
        {
            var origin = ctx.Request.Headers.Origin.ToString();
            var refusal = guard.Refusal(origin.Length > 0 ? origin : null, ctx.Request.Host.Value);
            return refusal is null ? next(ctx) : OpenAiError.WriteAsync(ctx, 403, "permission_error", refusal, "forbidden_origin");
        });
    }
}
