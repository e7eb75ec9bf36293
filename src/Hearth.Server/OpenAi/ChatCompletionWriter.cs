using System.Text.Json;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.OpenAi;

/// <summary>Answers /v1/chat/completions: a chat.completion object, or chat.completion.chunk events over SSE.</summary>
public sealed class ChatCompletionWriter(HttpContext ctx, bool includeUsage) : IResponseWriter
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
                w.WriteString("content", choices[i].Text.ToString());
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

    public Task WriteStreamErrorAsync(string message) => Sse.WriteErrorAsync(ctx, message);

    private byte[] Chunk(GenerationRun run, int index, bool role, string? content, IReadOnlyList<TokenLogprob>? lps, string? finish) => JsonOut.ToBytes(w =>
    {
        w.WriteStartObject();
        OpenAiJson.WriteHeader(w, _id, "chat.completion.chunk", _created, run.Model.Name);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteStartObject("delta");
        if (role) w.WriteString("role", "assistant");
        if (content is not null) w.WriteString("content", content);
        w.WriteEndObject();
        OpenAiJson.WriteChatLogprobs(w, run.Model.Tokenizer, lps);
        w.StringOrNull("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage) w.WriteNull("usage");
        w.WriteEndObject();
    });
}
