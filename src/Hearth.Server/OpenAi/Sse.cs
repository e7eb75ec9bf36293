using System.Text;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Hearth.Server.OpenAi;

/// <summary>Server-sent events: OpenAI chat/completions frame theirs as `data: {json}\n\n` per event and `data: [DONE]\n\n`
/// at the end; Anthropic and OpenAI Responses name each event (`event: NAME`).</summary>
public static class Sse
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Suffix = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sends the headers now, so the client sees the stream open before the first token.</summary>
    public static async Task StartAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no"; // keep reverse proxies from buffering the stream
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await ctx.Response.StartAsync(ctx.RequestAborted);
    }

    public static async Task WriteAsync(HttpContext ctx, byte[] json)
    {
        var body = ctx.Response.Body;
        await body.WriteAsync(Prefix, ctx.RequestAborted);
        await body.WriteAsync(json, ctx.RequestAborted);
        await body.WriteAsync(Suffix, ctx.RequestAborted);
        await body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>A named event (`event: NAME` then `data: {json}`), as Anthropic and OpenAI Responses frame theirs.</summary>
    public static async Task WriteEventAsync(HttpContext ctx, string name, byte[] json)
    {
        var body = ctx.Response.Body;
        await body.WriteAsync(Encoding.UTF8.GetBytes("event: " + name + "\n"), ctx.RequestAborted);
        await WriteAsync(ctx, json);
    }

    public static async Task DoneAsync(HttpContext ctx)
    {
        await ctx.Response.Body.WriteAsync(Done, ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>A failure inside a started stream: an OpenAI error object as an event, then [DONE].</summary>
    public static async Task WriteErrorAsync(HttpContext ctx, string message)
    {
        await WriteAsync(ctx, JsonOut.ToBytes(w => ErrorWriter.WriteOpenAiError(w, message, "server_error", null, null)));
        await DoneAsync(ctx);
    }
}
