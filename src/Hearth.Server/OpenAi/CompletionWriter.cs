using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.OpenAi;

/// <summary>Answers /v1/completions: a text_completion object, or text_completion chunks over SSE. With echo
/// (<paramref name="echoPrompts"/> non-null) each choice's text starts with its prompt.</summary>
public sealed class CompletionWriter(HttpContext ctx, bool includeUsage, IReadOnlyList<PromptSpec>? echoPrompts = null) : IResponseWriter
{
    private readonly string _id = "cmpl-" + RequestRecord.Of(ctx).Id;
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private int[] _offsets = [];

    public Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices)
    {
        var wantLogprobs = run.Sampling.Logprobs is not null;
        return JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            OpenAiJson.WriteHeader(w, _id, "text_completion", _created, run.Model.Name);
            w.WriteStartArray("choices");
            for (var i = 0; i < run.N; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteString("text", Echo(run, i) + choices[i].Text.ToString());
                OpenAiJson.WriteCompletionLogprobs(w, run.Model.Tokenizer, wantLogprobs ? choices[i].Logprobs : null, 0);
                w.WriteString("finish_reason", choices[i].Finish ?? "abort");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            OpenAiJson.WriteUsage(w, run);
            w.WriteEndObject();
        });
    }

    public async Task StartStreamAsync(GenerationRun run)
    {
        _offsets = new int[run.N];
        await Sse.StartAsync(ctx);
        if (echoPrompts is null) return;
        for (var i = 0; i < run.N; i++)
        {
            var echo = Echo(run, i);
            await Sse.WriteAsync(ctx, Chunk(run, true, i, echo, null, null, false));
            _offsets[i] = echo.Length;
        }
    }

    /// <summary>The prompt text choice <paramref name="index"/> echoes ("" without echo).</summary>
    private string Echo(GenerationRun run, int index) =>
        echoPrompts is null ? "" : echoPrompts[index / run.Sampling.N].Text(run.Model);

    public async Task WriteDeltaAsync(GenerationRun run, GenerationDelta d)
    {
        var finish = d.Finish is { } f ? GenerationRun.ReasonName(f) : null;
        var lps = run.Sampling.Logprobs is null ? null : d.Logprobs ?? [];
        if (d.Text.Length > 0 || d.Logprobs is { Count: > 0 } || finish is not null)
            await Sse.WriteAsync(ctx, Chunk(run, true, d.Index, d.Text, lps, finish, false));
        _offsets[d.Index] += d.Text.Length;
    }

    public async Task EndStreamAsync(GenerationRun run)
    {
        if (includeUsage) await Sse.WriteAsync(ctx, Chunk(run, false, 0, "", null, null, true));
        await Sse.DoneAsync(ctx);
    }

    public Task WriteStreamErrorAsync(string message) => Sse.WriteErrorAsync(ctx, message);

    private byte[] Chunk(GenerationRun run, bool withChoice, int index, string text, IReadOnlyList<TokenLogprob>? lps, string? finish, bool usage) => JsonOut.ToBytes(w =>
    {
        w.WriteStartObject();
        OpenAiJson.WriteHeader(w, _id, "text_completion", _created, run.Model.Name);
        w.WriteStartArray("choices");
        if (withChoice)
        {
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteString("text", text);
            OpenAiJson.WriteCompletionLogprobs(w, run.Model.Tokenizer, lps, _offsets[index]);
            w.StringOrNull("finish_reason", finish);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (usage) OpenAiJson.WriteUsage(w, run);
        else if (includeUsage) w.WriteNull("usage");
        w.WriteEndObject();
    });
}
