using System.Diagnostics;
using System.Text.Json;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Hearth.Server.Ollama;

/// <summary>Ollama response pieces: NDJSON framing, timestamps and the final line's nanosecond durations.</summary>
public static class OllamaJson
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    /// <summary>Ollama's created_at: RFC 3339 with fractional seconds, UTC.</summary>
    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", System.Globalization.CultureInfo.InvariantCulture);

    private static long Nanos(TimeSpan t) => t.Ticks * 100;

    public static async Task StartStreamAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/x-ndjson";
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await ctx.Response.StartAsync(ctx.RequestAborted);
    }

    public static async Task WriteLineAsync(HttpContext ctx, byte[] json)
    {
        await ctx.Response.Body.WriteAsync(json, ctx.RequestAborted);
        await ctx.Response.Body.WriteAsync(Newline, ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>The final line's statistics: total, load, prompt-eval and eval durations (ns) and counts.</summary>
    public static void WriteStats(Utf8JsonWriter w, HttpContext ctx, GenerationRun run, TimeSpan loadTime)
    {
        var now = Stopwatch.GetTimestamp();
        var first = run.FirstTokenAt != 0 ? run.FirstTokenAt : now;
        var last = run.LastTokenAt != 0 ? run.LastTokenAt : now;
        w.WriteNumber("total_duration", Nanos(Stopwatch.GetElapsedTime(RequestRecord.Of(ctx).StartTimestamp, now)));
        w.WriteNumber("load_duration", Nanos(loadTime));
        w.WriteNumber("prompt_eval_count", run.PromptTokens);
        w.WriteNumber("prompt_eval_duration", Nanos(Stopwatch.GetElapsedTime(run.SubmittedAt, first)));
        w.WriteNumber("eval_count", run.CompletionTokens);
        w.WriteNumber("eval_duration", Nanos(Stopwatch.GetElapsedTime(first, last)));
    }

    /// <summary>An error line inside a started stream.</summary>
    public static byte[] Error(string message) => JsonOut.ToBytes(w => { w.WriteStartObject(); w.WriteString("error", message); w.WriteEndObject(); });
}
