using System.Text;
using System.Text.Json;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Ollama;

/// <summary>Answers /api/generate and /api/chat: NDJSON lines (`response` or `message` text, done=false), then a
/// final line with done_reason, the statistics and (generate only) the conversation as `context` tokens; or that
/// final line alone holding the whole text when not streaming.</summary>
public sealed class OllamaWriter(HttpContext ctx, bool chat) : IResponseWriter, IReasoningWriter, IToolCallWriter
{
    private readonly List<int> _generated = [];
    private string? _reason;

    private IReadOnlyList<Hearth.Engine.Structured.Tools.ToolCall> _calls = [];

    private void WriteText(Utf8JsonWriter w, string text, string? thinking = null)
    {
        if (chat)
        {
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", text);
            if (!string.IsNullOrEmpty(thinking)) w.WriteString("thinking", thinking);
            if (_calls.Count > 0)
            {
                // Ollama's shape: arguments as an object, no ids.
                w.WriteStartArray("tool_calls");
                foreach (var call in _calls)
                {
                    w.WriteStartObject();
                    w.WriteStartObject("function");
                    w.WriteString("name", call.Name);
                    w.WritePropertyName("arguments");
                    WriteArguments(w, call.Arguments);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("response", text);
            if (!string.IsNullOrEmpty(thinking)) w.WriteString("thinking", thinking);
        }
    }

    /// <summary>Arguments as a JSON value; a model's arguments that are not JSON (a call whose "arguments" was a
    /// string of prose) go as that string rather than failing the answer.</summary>
    private static void WriteArguments(Utf8JsonWriter w, string arguments)
    {
        if (arguments.Length == 0)
        {
            w.WriteStartObject();
            w.WriteEndObject();
            return;
        }
        try
        {
            using var args = JsonDocument.Parse(arguments);
            args.RootElement.WriteTo(w);
        }
        catch (JsonException)
        {
            w.WriteStringValue(arguments);
        }
    }

    private byte[] Line(GenerationRun run, string text, string? thinking = null) => JsonOut.ToBytes(w =>
    {
        w.WriteStartObject();
        w.WriteString("model", run.Model.Name);
        w.WriteString("created_at", OllamaJson.Now());
        WriteText(w, text, thinking);
        w.WriteBoolean("done", false);
        w.WriteEndObject();
    });

    private byte[] Final(GenerationRun run, string text, string doneReason, IReadOnlyList<int> generated, string? thinking = null) => JsonOut.ToBytes(w =>
    {
        w.WriteStartObject();
        w.WriteString("model", run.Model.Name);
        w.WriteString("created_at", OllamaJson.Now());
        WriteText(w, text, thinking);
        w.WriteBoolean("done", true);
        w.WriteString("done_reason", doneReason);
        if (!chat)
        {
            // The conversation so far as tokens; a client sends it back as `context` to continue.
            w.WriteStartArray("context");
            foreach (var t in run.Prompt) w.WriteNumberValue(t);
            foreach (var t in generated) w.WriteNumberValue(t);
            w.WriteEndArray();
        }
        OllamaJson.WriteStats(w, ctx, run, run.LoadTime);
        w.WriteEndObject();
    });

    public async Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices)
    {
        _calls = choices[0].ToolCalls;
        // Ollama reports a tool-call answer as done_reason "stop".
        var body = Final(run, choices[0].Text.ToString(), choices[0].Finish is "tool_calls" ? "stop" : choices[0].Finish ?? "abort", choices[0].TokenIds, choices[0].Reasoning);
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    public Task StartStreamAsync(GenerationRun run) => OllamaJson.StartStreamAsync(ctx);

    public async Task WriteDeltaAsync(GenerationRun run, GenerationDelta d)
    {
        _generated.AddRange(d.TokenIds);
        if (d.Finish is { } f) _reason = GenerationRun.ReasonName(f);
        if (d.Text.Length > 0) await OllamaJson.WriteLineAsync(ctx, Line(run, d.Text));
    }

    /// <summary>A line with the thinking (message.thinking, or generate's `thinking`) and empty content.</summary>
    public Task WriteReasoningAsync(GenerationRun run, int index, string text) => OllamaJson.WriteLineAsync(ctx, Line(run, "", text));

    /// <summary>Streamed tool calls, as Ollama sends them: one line whose message holds the calls (done=false); the
    /// final line then says done_reason "stop".</summary>
    public async Task EndToolCallsAsync(GenerationRun run, int index, IReadOnlyList<Hearth.Engine.Structured.Tools.ToolCall> calls)
    {
        _calls = calls;
        _reason = "stop";
        await OllamaJson.WriteLineAsync(ctx, Line(run, ""));
        _calls = [];
    }

    public Task EndStreamAsync(GenerationRun run) => OllamaJson.WriteLineAsync(ctx, Final(run, "", _reason ?? "abort", _generated));

    public Task WriteStreamErrorAsync(string message) => OllamaJson.WriteLineAsync(ctx, OllamaJson.Error(message));

    /// <summary>Ollama's idioms for a request with nothing to generate: it loads the model (done_reason "load"),
    /// or with keep_alive 0 unloads it ("unload").</summary>
    public static async Task LoadOrUnloadAsync(HttpContext ctx, string? name, TimeSpan? keepAlive, bool chat)
    {
        if (keepAlive == TimeSpan.Zero)
        {
            await ctx.RequestServices.GetRequiredService<IModelHost>().UnloadAsync(name ?? "");
            await WriteLoadStateAsync(ctx, name ?? "", chat, "unload");
            return;
        }
        var (lease, _) = await ModelAccess.AcquireAsync(ctx, name, keepAlive);
        using (lease) await WriteLoadStateAsync(ctx, lease.Model.Name, chat, "load");
    }

    private static Task WriteLoadStateAsync(HttpContext ctx, string model, bool chat, string doneReason) =>
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
