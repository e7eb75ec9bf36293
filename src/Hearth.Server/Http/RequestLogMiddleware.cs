using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Server.Http;

/// <summary>Writes one structured log line per request: id, method, path, model, tokens, ttft, duration, status and
/// the W3C trace id of the request's span ("-" when there is none).</summary>
public sealed class RequestLogMiddleware(RequestDelegate next, ServerOptions options, ILogger<RequestLogMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        var record = RequestRecord.Of(ctx);
        try
        {
            await next(ctx);
        }
        finally
        {
            if (options.LogRequests && logger.IsEnabled(LogLevel.Information))
            {
                var ms = Stopwatch.GetElapsedTime(record.StartTimestamp).TotalMilliseconds;
                logger.LogInformation(
                    "request id={RequestId} method={Method} path={Path} model={Model} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} ttft_ms={TtftMs} duration_ms={DurationMs} status={Status} trace_id={TraceId}",
                    record.Id, ctx.Request.Method, ctx.Request.Path.Value, record.Model ?? "-", record.PromptTokens, record.CompletionTokens,
                    record.TimeToFirstToken is { } t ? Math.Round(t.TotalMilliseconds, 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "-", Math.Round(ms, 1),
                    record.Status ?? ctx.Response.StatusCode, Activity.Current is { } span && span.TraceId != default ? span.TraceId.ToHexString() : "-");
            }
        }
    }
}
