using Microsoft.AspNetCore.Http;

namespace Hearth.Router.Proxy;

/// <summary>Writes errors in OpenAI's shape: {"error": {"message", "type", "code"}}.</summary>
public static class OpenAiError
{
    public static async Task WriteAsync(HttpContext ctx, int status, string type, string message, string? code = null, int? retryAfter = null)
    {
        if (ctx.Response.HasStarted) { ctx.Abort(); return; }
        ctx.Response.StatusCode = status;
        if (retryAfter is { } ra) ctx.Response.Headers.RetryAfter = ra.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ctx.Response.ContentType = "application/json";
        var error = new System.Text.Json.Nodes.JsonObject { ["message"] = message, ["type"] = type, ["code"] = code ?? type };
        var body = System.Text.Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject { ["error"] = error }.ToJsonString());
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    /// <summary>Whether an upstream 400 body says the prompt did not fit the context (OpenAI, vLLM, llama.cpp, Hearth wordings).</summary>
    public static bool IsContextOverflow(ReadOnlySpan<byte> body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body).ToLowerInvariant();
        return text.Contains("context_length_exceeded") || text.Contains("context length") || text.Contains("context window")
            || text.Contains("maximum context") || text.Contains("exceeds the available context") || text.Contains("n_ctx");
    }
}
