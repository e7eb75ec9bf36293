using System.Text;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.OpenAi;

/// <summary>POST /v1/chat/completions.</summary>
public static class ChatCompletionsEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        var p = OpenAiParams.Parse(args, chat: true);
        var messages = PromptBuilder.ParseMessages(args.Array("messages"));
        var tools = args.Array("tools");
        args.Obj("response_format"); // accepted (type-checked), not enforced yet

        var (lease, _) = await ModelAccess.AcquireAsync(ctx, p.Model);
        using var _ = lease;
        var model = lease.Model;
        var prompt = PromptBuilder.Chat(model, messages, tools);
        PromptBuilder.CheckFits(model, prompt, "messages");
        var sampling = new SamplingBuilder().WithModelParameters(model.DefaultParameters).Overlay(p.Sampling)
            .Build(model, prompt.Length, clampMaxTokens: false, p.MaxTokensParam);

        using var run = GenerationRun.Start(ctx, model, prompt, sampling);
        var id = "chatcmpl-" + RequestRecord.Of(ctx).Id;
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (p.Stream) await StreamAsync(ctx, run, id, created, p.IncludeUsage);
        else await CompleteAsync(ctx, run, id, created);
    }

    private static async Task CompleteAsync(HttpContext ctx, GenerationRun run, string id, long created)
    {
        var choices = await CollectedChoice.CollectAsync(run);
        var wantLogprobs = run.Sampling.Logprobs is not null;
        await JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            OpenAiJson.WriteHeader(w, id, "chat.completion", created, run.Model.Name);
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

    private static async Task StreamAsync(HttpContext ctx, GenerationRun run, string id, long created, bool includeUsage)
    {
        await Sse.StartAsync(ctx);
        var tok = run.Model.Tokenizer;
        byte[] Chunk(int index, bool role, string? content, IReadOnlyList<TokenLogprob>? lps, string? finish) => JsonOut.ToBytes(w =>
        {
            w.WriteStartObject();
            OpenAiJson.WriteHeader(w, id, "chat.completion.chunk", created, run.Model.Name);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            if (role) w.WriteString("role", "assistant");
            if (content is not null) w.WriteString("content", content);
            w.WriteEndObject();
            OpenAiJson.WriteChatLogprobs(w, tok, lps);
            w.StringOrNull("finish_reason", finish);
            w.WriteEndObject();
            w.WriteEndArray();
            if (includeUsage) w.WriteNull("usage");
            w.WriteEndObject();
        });

        try
        {
            for (var i = 0; i < run.N; i++) await Sse.WriteAsync(ctx, Chunk(i, role: true, "", null, null));
            await foreach (var d in run.ReadAsync())
            {
                if (d.Text.Length > 0 || d.Logprobs is { Count: > 0 })
                    await Sse.WriteAsync(ctx, Chunk(d.Index, false, d.Text, d.Logprobs, null));
                if (d.Finish is FinishReason.Error)
                {
                    await WriteStreamErrorAsync(ctx, "generation failed: " + (d.Error ?? "engine error"));
                    return;
                }
                if (d.Finish is { } f) await Sse.WriteAsync(ctx, Chunk(d.Index, false, null, null, GenerationRun.ReasonName(f)));
            }
            if (includeUsage)
            {
                await Sse.WriteAsync(ctx, JsonOut.ToBytes(w =>
                {
                    w.WriteStartObject();
                    OpenAiJson.WriteHeader(w, id, "chat.completion.chunk", created, run.Model.Name);
                    w.WriteStartArray("choices");
                    w.WriteEndArray();
                    OpenAiJson.WriteUsage(w, run);
                    w.WriteEndObject();
                }));
            }
            await Sse.DoneAsync(ctx);
        }
        catch (Exception e) when (e is not OperationCanceledException && !ctx.RequestAborted.IsCancellationRequested)
        {
            await WriteStreamErrorAsync(ctx, e is ApiException or InvalidRequestException ? e.Message : "internal server error");
        }
    }

    /// <summary>Once a stream has started its status is 200; a failure is reported as an error event, then [DONE].</summary>
    internal static async Task WriteStreamErrorAsync(HttpContext ctx, string message)
    {
        RequestRecord.Of(ctx).Status = 500;
        await Sse.WriteAsync(ctx, JsonOut.ToBytes(w => ErrorWriter.WriteOpenAiError(w, message, "server_error", null, null)));
        await Sse.DoneAsync(ctx);
    }
}
