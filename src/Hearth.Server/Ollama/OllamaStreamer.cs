using System.Text;
using System.Text.Json;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Ollama;

/// <summary>Writes a generation as Ollama does, for /api/generate ("response") and /api/chat ("message"):
/// NDJSON lines with done=false, then a final line with done=true, done_reason and statistics; or, with
/// stream=false, one object with the whole text.</summary>
public sealed class OllamaStreamer(HttpContext ctx, GenerationRun run, TimeSpan loadTime, bool chat, int[] prompt)
{
    private void WriteText(Utf8JsonWriter w, string text)
    {
        if (chat)
        {
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", text);
            w.WriteEndObject();
        }
        else w.WriteString("response", text);
    }

    private byte[] Line(string text) => JsonOut.ToBytes(w =>
    {
        w.WriteStartObject();
        w.WriteString("model", run.Model.Name);
        w.WriteString("created_at", OllamaJson.Now());
        WriteText(w, text);
        w.WriteBoolean("done", false);
        w.WriteEndObject();
    });

    private byte[] Final(string text, string doneReason, List<int> generated) => JsonOut.ToBytes(w =>
    {
        w.WriteStartObject();
        w.WriteString("model", run.Model.Name);
        w.WriteString("created_at", OllamaJson.Now());
        WriteText(w, text);
        w.WriteBoolean("done", true);
        w.WriteString("done_reason", doneReason);
        if (!chat)
        {
            // The conversation so far as tokens; a client sends it back as `context` to continue.
            w.WriteStartArray("context");
            foreach (var t in prompt) w.WriteNumberValue(t);
            foreach (var t in generated) w.WriteNumberValue(t);
            w.WriteEndArray();
        }
        OllamaJson.WriteStats(w, ctx, run, loadTime);
        w.WriteEndObject();
    });

    public async Task RunAsync(bool stream)
    {
        var generated = new List<int>();
        var text = new StringBuilder();
        string? reason = null;
        if (!stream)
        {
            await foreach (var d in run.ReadAsync())
            {
                text.Append(d.Text);
                generated.AddRange(d.TokenIds);
                if (d.Finish is FinishReason.Error) throw new ApiException(500, "generation failed: " + (d.Error ?? "engine error"));
                if (d.Finish is { } f) reason = GenerationRun.ReasonName(f);
            }
            var body = Final(text.ToString(), reason ?? "abort", generated);
            ctx.Response.ContentType = "application/json; charset=utf-8";
            ctx.Response.ContentLength = body.Length;
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
            return;
        }

        await OllamaJson.StartStreamAsync(ctx);
        try
        {
            await foreach (var d in run.ReadAsync())
            {
                generated.AddRange(d.TokenIds);
                if (d.Finish is FinishReason.Error)
                {
                    RequestRecord.Of(ctx).Status = 500;
                    await OllamaJson.WriteLineAsync(ctx, OllamaJson.Error("generation failed: " + (d.Error ?? "engine error")));
                    return;
                }
                if (d.Finish is { } f) reason = GenerationRun.ReasonName(f);
                if (d.Text.Length > 0) await OllamaJson.WriteLineAsync(ctx, Line(d.Text));
            }
            await OllamaJson.WriteLineAsync(ctx, Final("", reason ?? "abort", generated));
        }
        catch (Exception e) when (e is not OperationCanceledException && !ctx.RequestAborted.IsCancellationRequested)
        {
            RequestRecord.Of(ctx).Status = 500;
            await OllamaJson.WriteLineAsync(ctx, OllamaJson.Error(e is ApiException or InvalidRequestException ? e.Message : "internal server error"));
        }
    }

    /// <summary>The answer to an empty request, which only loads (done_reason "load") or unloads ("unload") a model.</summary>
    public static Task WriteLoadStateAsync(HttpContext ctx, string model, bool chat, string doneReason) =>
        JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteString("created_at", OllamaJson.Now());
            if (chat)
            {
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", "");
                w.WriteEndObject();
            }
            else w.WriteString("response", "");
            w.WriteBoolean("done", true);
            w.WriteString("done_reason", doneReason);
            w.WriteEndObject();
        });
}
