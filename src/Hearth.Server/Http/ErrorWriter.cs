using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Http;

/// <summary>Renders errors in the shape of the API a path belongs to: Ollama (/api/*), Anthropic (/v1/messages*) or
/// OpenAI (everything else).</summary>
public static class ErrorWriter
{
    public static bool IsOllamaPath(PathString path) => path.StartsWithSegments("/api");
    public static bool IsAnthropicPath(PathString path) => path.StartsWithSegments("/v1/messages");

    /// <summary>The error body bytes for a path.</summary>
    public static byte[] Body(PathString path, string message, string type, string? param, string? code) =>
        IsOllamaPath(path) ? JsonOut.ToBytes(w => { w.WriteStartObject(); w.WriteString("error", message); w.WriteEndObject(); })
        : IsAnthropicPath(path) ? JsonOut.ToBytes(w => WriteAnthropicError(w, message, type, code))
        : JsonOut.ToBytes(w => WriteOpenAiError(w, message, type, param, code));

    /// <summary>Anthropic's shape, {"type":"error","error":{"type","message"}}, with its type names (OpenAI's
    /// server_error is api_error; a too-large body is request_too_large).</summary>
    public static void WriteAnthropicError(Utf8JsonWriter w, string message, string type, string? code)
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", code == "request_too_large" ? code : type == "server_error" ? "api_error" : type);
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>{"error":{"message","type","param","code"}}.</summary>
    public static void WriteOpenAiError(Utf8JsonWriter w, string message, string type, string? param, string? code)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        w.StringOrNull("param", param);
        w.StringOrNull("code", code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Writes a complete error response (the response must not have started).</summary>
    public static async Task WriteAsync(HttpContext ctx, int status, string message, string? param = null, string? code = null, string? type = null)
    {
        var bytes = Body(ctx.Request.Path, message, type ?? ErrorTypes.ForStatus(status), param, code);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes);
    }
}
