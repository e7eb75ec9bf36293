using Hearth.Engine;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Server.Http;

/// <summary>The one exception-to-JSON mapping. Also gives the bare 404/405 answers of routing an API-shaped body.
/// Never writes stack traces to clients.</summary>
public sealed class ErrorMiddleware(RequestDelegate next, ServerOptions options, ILogger<ErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
            if (!ctx.Response.HasStarted && ctx.Response.ContentLength is null)
            {
                // Routing's own answers have empty bodies: give them the API's error shape.
                if (ctx.Response.StatusCode == 405)
                    await ErrorWriter.WriteAsync(ctx, 405, $"Method {ctx.Request.Method} is not allowed on {ctx.Request.Path}", code: "method_not_allowed");
                else if (ctx.Response.StatusCode == 404 && ctx.GetEndpoint() is null)
                    await ErrorWriter.WriteAsync(ctx, 404, $"No route for {ctx.Request.Method} {ctx.Request.Path}", code: "not_found");
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer. 499 is nginx's "client closed request", used for the log line.
            RequestRecord.Of(ctx).Status = 499;
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            var (status, message, param, code) = Map(e);
            if (status >= 500) logger.LogError(e, "request {Path} failed", ctx.Request.Path);
            ctx.Response.Clear();
            if (status == 429) ctx.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(options.BusyRetryAfter.TotalSeconds)).ToString();
            await ErrorWriter.WriteAsync(ctx, status, message, param, code, (e as ApiException)?.Type);
        }
    }

    /// <summary>Exception → (status, message, param, code).</summary>
    public static (int Status, string Message, string? Param, string? Code) Map(Exception e) => e switch
    {
        ApiException a => (a.Status, a.Message, a.Param, a.Code),
        ModelNotFoundException m => (404, $"model '{m.Name}' not found", "model", "model_not_found"),
        InvalidRequestException i => (400, i.Message, i.Param, null),
        EngineBusyException b => (429, b.Message.Length > 0 ? b.Message : "the server is busy; retry later", null, "server_busy"),
        BadHttpRequestException { StatusCode: 413 } => (413, "request body too large", null, "request_too_large"),
        BadHttpRequestException h => (h.StatusCode, h.Message, null, null),
        System.Text.Json.JsonException j => (400, "malformed JSON: " + FirstLine(j.Message), null, "invalid_json"),
        _ => (500, "internal server error", null, null),
    };

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
