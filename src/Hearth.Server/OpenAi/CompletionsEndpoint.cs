using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.OpenAi;

/// <summary>POST /v1/completions (the legacy text-completion API; one prompt per request).</summary>
public static class CompletionsEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        var p = OpenAiParams.Parse(args, chat: false);
        var promptNode = args.Object["prompt"] ?? throw ApiException.BadRequest("'prompt' is required", "prompt");

        var (lease, _) = await ModelAccess.AcquireAsync(ctx, p.Model);
        using var _ = lease;
        var model = lease.Model;
        var prompt = PromptTokens(model, promptNode);
        PromptBuilder.CheckFits(model, prompt, "prompt");
        var sampling = new SamplingBuilder().WithModelParameters(model.DefaultParameters).Overlay(p.Sampling)
            .Build(model, prompt.Length, clampMaxTokens: false);

        using var run = GenerationRun.Start(ctx, model, prompt, sampling);
        var id = "cmpl-" + RequestRecord.Of(ctx).Id;
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (p.Stream) await StreamAsync(ctx, run, id, created, p.IncludeUsage);
        else await CompleteAsync(ctx, run, id, created);
    }

    /// <summary>A prompt is a string, an array of one string, or an array of token ids (as OpenAI allows).</summary>
    private static int[] PromptTokens(LoadedModel model, JsonNode node)
    {
        if (node.GetValueKind() == JsonValueKind.String) return PromptBuilder.Encode(model.Tokenizer, node.GetValue<string>());
        if (node is JsonArray a)
        {
            if (a.Count == 1 && a[0]?.GetValueKind() == JsonValueKind.String) return PromptBuilder.Encode(model.Tokenizer, a[0]!.GetValue<string>());
            if (a.Count > 0 && a.All(x => x?.GetValueKind() == JsonValueKind.Number))
            {
                var ids = new int[a.Count];
                for (var i = 0; i < ids.Length; i++)
                {
                    var d = a[i]!.GetValue<double>();
                    if (d != Math.Floor(d) || d < 0 || d >= model.Tokenizer.VocabSize)
                        throw ApiException.BadRequest($"'prompt[{i}]' is not a token id of this model (0..{model.Tokenizer.VocabSize - 1})", "prompt");
                    ids[i] = (int)d;
                }
                return ids;
            }
            if (a.Count > 1 && a.All(x => x?.GetValueKind() is JsonValueKind.String or JsonValueKind.Array))
                throw ApiException.BadRequest("only one prompt per request is supported; send one request per prompt", "prompt");
        }
        throw ApiException.BadRequest("'prompt' must be a string, an array of one string, or an array of token ids", "prompt");
    }

    private static async Task CompleteAsync(HttpContext ctx, GenerationRun run, string id, long created)
    {
        var choices = await CollectedChoice.CollectAsync(run);
        var wantLogprobs = run.Sampling.Logprobs is not null;
        await JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            OpenAiJson.WriteHeader(w, id, "text_completion", created, run.Model.Name);
            w.WriteStartArray("choices");
            for (var i = 0; i < run.N; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteString("text", choices[i].Text.ToString());
                OpenAiJson.WriteCompletionLogprobs(w, run.Model.Tokenizer, wantLogprobs ? choices[i].Logprobs : null, 0);
                w.WriteString("finish_reason", choices[i].Finish ?? "abort");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            OpenAiJson.WriteUsage(w, run);
            w.WriteEndObject();
        });
    }

    private static async Task StreamAsync(HttpContext ctx, GenerationRun run, string id, long created, bool includeUsage)
    {
        await Sse.StartAsync(ctx);
        var offsets = new int[run.N];
        byte[] Chunk(bool withChoice, int index, string text, IReadOnlyList<TokenLogprob>? lps, string? finish, bool usage) => JsonOut.ToBytes(w =>
        {
            w.WriteStartObject();
            OpenAiJson.WriteHeader(w, id, "text_completion", created, run.Model.Name);
            w.WriteStartArray("choices");
            if (withChoice)
            {
                w.WriteStartObject();
                w.WriteNumber("index", index);
                w.WriteString("text", text);
                OpenAiJson.WriteCompletionLogprobs(w, run.Model.Tokenizer, lps, offsets[index]);
                w.StringOrNull("finish_reason", finish);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (usage) OpenAiJson.WriteUsage(w, run);
            else if (includeUsage) w.WriteNull("usage");
            w.WriteEndObject();
        });

        try
        {
            await foreach (var d in run.ReadAsync())
            {
                if (d.Finish is FinishReason.Error)
                {
                    await ChatCompletionsEndpoint.WriteStreamErrorAsync(ctx, "generation failed: " + (d.Error ?? "engine error"));
                    return;
                }
                var finish = d.Finish is { } f ? GenerationRun.ReasonName(f) : null;
                var lps = run.Sampling.Logprobs is null ? null : d.Logprobs ?? [];
                if (d.Text.Length > 0 || d.Logprobs is { Count: > 0 } || finish is not null)
                    await Sse.WriteAsync(ctx, Chunk(true, d.Index, d.Text, lps, finish, false));
                offsets[d.Index] += d.Text.Length;
            }
            if (includeUsage) await Sse.WriteAsync(ctx, Chunk(false, 0, "", null, null, true));
            await Sse.DoneAsync(ctx);
        }
        catch (Exception e) when (e is not OperationCanceledException && !ctx.RequestAborted.IsCancellationRequested)
        {
            await ChatCompletionsEndpoint.WriteStreamErrorAsync(ctx, e is ApiException or InvalidRequestException ? e.Message : "internal server error");
        }
    }
}
