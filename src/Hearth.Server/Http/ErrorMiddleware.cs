using Hearth.Core.Gguf;
using Hearth.Core.Templates;
using Hearth.Engine;
using Hearth.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Server.Http;

/// <summary>The one exception-to-JSON mapping. Also gives the bare 404/405 answers of routing an API-shaped body.
/// Every domain exception becomes a 4xx carrying its own message; anything else is a bug: a 500 whose body names
/// the request id (sent on every response as <c>x-request-id</c>) and nothing internal, logged with its stack.</summary>
public sealed class ErrorMiddleware(RequestDelegate next, ServerOptions options, ILogger<ErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        var record = RequestRecord.Of(ctx);
        ctx.Response.Headers["x-request-id"] = record.Id;
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
            record.Status = 499;
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            var error = Describe(e, ctx, logger);
            ctx.Response.Clear();
            ctx.Response.Headers["x-request-id"] = record.Id;
            if (error.Status == 429) ctx.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(options.BusyRetryAfter.TotalSeconds)).ToString();
            await ErrorWriter.WriteAsync(ctx, error.Status, error.Message, error.Param, error.Code, (e as ApiException)?.Type);
        }
    }

    /// <summary>Maps <paramref name="e"/> and, when it is a bug (5xx), logs it with the request id and replaces its
    /// message with one that names only the id. Used for streamed errors too (e.g. /api/pull's last line).</summary>
    public static ApiError Describe(Exception e, HttpContext ctx, ILogger logger)
    {
        var error = Map(e);
        if (error.Status < 500 || error.Status == 507) return error;
        var id = RequestRecord.Of(ctx).Id;
        logger.LogError(e, "request id={RequestId} {Method} {Path} failed", id, ctx.Request.Method, ctx.Request.Path.Value);
        // A deliberate 5xx (e.g. "generation failed: …") keeps the sentence its thrower wrote; anything else is a bug
        // whose message may hold internals, so the client gets only the id to quote.
        return error with
        {
            Message = e is ApiException ? $"{error.Message} (request id {id})" : $"internal server error (request id {id}); the server log has the details",
        };
    }

    /// <summary>Exception → status, message, param and code.</summary>
    public static ApiError Map(Exception e) => e switch
    {
        ApiException a => new(a.Status, a.Message, a.Param, a.Code),
        ModelNotFoundException m => new(404, $"model '{m.Name}' not found", "model", "model_not_found"),
        Hearth.Engine.Lora.LoraException l => new(400, l.Message, null, "invalid_lora_adapter"),
        InvalidRequestException i => new(400, i.Message, i.Param, null),
        EngineBusyException b => new(429, b.Message.Length > 0 ? b.Message : "the server is busy; retry later", null, "server_busy"),
        ModelStoreException s => Store(s),
        InvalidModelNameException n => new(400, n.Message, "model", "invalid_model_name"),
        ModelfileException f => new(400, f.Message, null, "invalid_modelfile"),
        TemplateException t => new(400, "the model's chat template failed on these messages: " + t.Message, "messages", "template_error"),
        GgufException g => new(400, "the model file cannot be used: " + g.Message, "model", "invalid_model_file"),
        BadHttpRequestException { StatusCode: 413 } => new(413, "request body too large", null, "request_too_large"),
        BadHttpRequestException h => new(h.StatusCode, h.Message, null, null),
        System.Text.Json.JsonException j => new(400, "malformed JSON: " + FirstLine(j.Message), null, "invalid_json"),
        _ => new(500, "internal server error", null, null),
    };

    private static ApiError Store(ModelStoreException s) => s.Kind switch
    {
        StoreFailure.NotFound => new(404, s.Message, "model", "not_found"),
        StoreFailure.Conflict => new(409, s.Message, null, "conflict"),
        StoreFailure.DiskFull => new(507, s.Message, null, "insufficient_storage"),
        StoreFailure.Remote => new(400, s.Message, null, "download_failed"),
        _ => new(400, s.Message, null, "invalid_request"),
    };

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}

/// <summary>An error answer: HTTP status, message, and OpenAI's param and code.</summary>
public readonly record struct ApiError(int Status, string Message, string? Param, string? Code);
