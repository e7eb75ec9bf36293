using System.Text.Json;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.OpenAi;

/// <summary>Answers /v1/chat/completions: a chat.completion object, or chat.completion.chunk events over SSE.</summary>
public sealed class ChatCompletionWriter(HttpContext ctx, bool includeUsage) : IResponseWriter, IToolCallWriter, IReasoningWriter
{
    private readonly string _id = "chatcmpl-" + RequestRecord.Of(ctx).Id;
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices)
    {
        var wantLogprobs = run.Sampling.Logprobs is not null;
        return JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            OpenAiJson.WriteHeader(w, _id, "chat.completion", _created, run.Model.Name);
            w.WriteStartArray("choices");
            for (var i = 0; i < run.N; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                var calls = choices[i].ToolCalls;
                if (calls.Count > 0 && choices[i].Text.Length == 0) w.WriteNull("content");
                else w.WriteString("content", choices[i].Text.ToString());
                // A thinking model's thinking, as vLLM and DeepSeek return it.
                if (choices[i].Reasoning is { } reasoning) w.WriteString("reasoning_content", reasoning);
                if (calls.Count > 0)
                {
                    w.WriteStartArray("tool_calls");
                    for (int k = 0; k < calls.Count; k++) WriteCall(w, calls[k], null, arguments: true);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                OpenAiJson.WriteChatLogprobs(w, run.Model.Tokenizer, wantLogprobs ? choices[i].Logprobs : null);
                w.StringOrNull("finish_reason", choices[i].Finish ?? "abort");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            OpenAiJson.WriteUsage(w, run);
            w.WriteEndObject();
        });
    }

    public async Task StartStreamAsync(GenerationRun run)
    {
        await Sse.StartAsync(ctx);
        for (var i = 0; i < run.N; i++) await Sse.WriteAsync(ctx, Chunk(run, i, role: true, "", null, null));
    }

    public async Task WriteDeltaAsync(GenerationRun run, GenerationDelta d)
    {
        if (d.Text.Length > 0 || d.Logprobs is { Count: > 0 })
            await Sse.WriteAsync(ctx, Chunk(run, d.Index, false, d.Text, d.Logprobs, null));
        if (d.Finish is { } f) await Sse.WriteAsync(ctx, Chunk(run, d.Index, false, null, null, GenerationRun.ReasonName(f)));
    }

    /// <summary>A chunk whose delta is {"reasoning_content": …} (vLLM's and DeepSeek's streamed thinking).</summary>
    public Task WriteReasoningAsync(GenerationRun run, int index, string text) =>
        Sse.WriteAsync(ctx, Envelope(run, index, w => w.WriteString("reasoning_content", text), null, null));

    public async Task EndStreamAsync(GenerationRun run)
    {
        if (includeUsage)
            await Sse.WriteAsync(ctx, JsonOut.ToBytes(w =>
            {
                w.WriteStartObject();
                OpenAiJson.WriteHeader(w, _id, "chat.completion.chunk", _created, run.Model.Name);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                OpenAiJson.WriteUsage(w, run);
                w.WriteEndObject();
            }));
        await Sse.DoneAsync(ctx);
    }

    /// <summary>A call's first chunk: its index, id, type and name, arguments "" (as OpenAI streams them).</summary>
    public Task StartToolCallAsync(GenerationRun run, int index, int call, string id, string name) =>
        Sse.WriteAsync(ctx, ToolChunk(run, index, w => WriteCall(w, new Hearth.Engine.Structured.Tools.ToolCall(id, name, ""), call, arguments: false)));

    /// <summary>A chunk with the call's index and a fragment of its arguments.</summary>
    public Task WriteToolArgumentsAsync(GenerationRun run, int index, int call, string fragment) =>
        Sse.WriteAsync(ctx, ToolChunk(run, index, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("index", call);
            w.WriteStartObject("function");
            w.WriteString("arguments", fragment);
            w.WriteEndObject();
            w.WriteEndObject();
        }));

    /// <summary>The choice's finish chunk ("tool_calls"); the calls went out already.</summary>
    public Task EndToolCallsAsync(GenerationRun run, int index, IReadOnlyList<Hearth.Engine.Structured.Tools.ToolCall> calls) =>
        Sse.WriteAsync(ctx, Chunk(run, index, false, null, null, "tool_calls"));

    private static void WriteCall(Utf8JsonWriter w, Hearth.Engine.Structured.Tools.ToolCall call, int? index, bool arguments)
    {
        w.WriteStartObject();
        if (index is int k) w.WriteNumber("index", k);
        w.WriteString("id", call.Id);
        w.WriteString("type", "function");
        w.WriteStartObject("function");
        w.WriteString("name", call.Name);
        w.WriteString("arguments", arguments ? call.Arguments : "");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private byte[] ToolChunk(GenerationRun run, int index, Action<Utf8JsonWriter> call) => Envelope(run, index, w =>
    {
        w.WriteStartArray("tool_calls");
        call(w);
        w.WriteEndArray();
    }, null, null);

    public Task WriteStreamErrorAsync(string message) => Sse.WriteErrorAsync(ctx, message);

    private byte[] Chunk(GenerationRun run, int index, bool role, string? content, IReadOnlyList<TokenLogprob>? lps, string? finish) => Envelope(run, index, w =>
    {
        if (role) w.WriteString("role", "assistant");
        if (content is not null) w.WriteString("content", content);
    }, lps, finish);

    /// <summary>One chat.completion.chunk for one choice, its delta written by <paramref name="delta"/>.</summary>
    private byte[] Envelope(GenerationRun run, int index, Action<Utf8JsonWriter> delta, IReadOnlyList<TokenLogprob>? lps, string? finish) => JsonOut.ToBytes(w =>
    {
        w.WriteStartObject();
        OpenAiJson.WriteHeader(w, _id, "chat.completion.chunk", _created, run.Model.Name);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteStartObject("delta");
        delta(w);
        w.WriteEndObject();
        OpenAiJson.WriteChatLogprobs(w, run.Model.Tokenizer, lps);
        w.StringOrNull("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage) w.WriteNull("usage");
        w.WriteEndObject();
    });
}
