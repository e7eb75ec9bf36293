using System.Text.Json;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Ollama;

/// <summary>POST /api/generate.</summary>
public static class GenerateEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var a = await JsonArgs.ReadAsync(ctx);
        var name = a.String("model");
        var prompt = a.String("prompt") ?? "";
        var system = a.String("system");
        var raw = a.Bool("raw") ?? false;
        var stream = a.Bool("stream") ?? true;
        var keepAlive = OllamaArgs.KeepAlive(a);
        OllamaArgs.Format(a);
        var options = OllamaArgs.Options(a.Obj("options"));
        if (a.Array("images") is { Count: > 0 }) throw ApiException.BadRequest("images are not supported by this server", "images");
        var context = ContextTokens(a);

        if (prompt.Length == 0 && context.Length == 0 && keepAlive == TimeSpan.Zero)
        {
            // Ollama's idiom for "unload this model now".
            await ctx.RequestServices.GetRequiredService<IModelHost>().UnloadAsync(name ?? "");
            await OllamaStreamer.WriteLoadStateAsync(ctx, name ?? "", chat: false, "unload");
            return;
        }
        var (lease, loadTime) = await ModelAccess.AcquireAsync(ctx, name, keepAlive);
        using var _ = lease;
        var model = lease.Model;
        if (prompt.Length == 0 && context.Length == 0)
        {
            await OllamaStreamer.WriteLoadStateAsync(ctx, model.Name, chat: false, "load");
            return;
        }

        int[] tokens;
        if (raw || model.ChatTemplate is null)
            tokens = PromptBuilder.Encode(model.Tokenizer, system is null ? prompt : system + "\n" + prompt);
        else
        {
            var messages = new List<ChatMessage>();
            if (system is not null) messages.Add(new ChatMessage("system", system, new()));
            messages.Add(new ChatMessage("user", prompt, new()));
            tokens = PromptBuilder.Chat(model, messages);
        }
        if (context.Length > 0)
        {
            // Continue a previous exchange: its tokens already start with BOS.
            var bos = model.Tokenizer.BosId;
            tokens = [.. context, .. tokens.Length > 0 && tokens[0] == bos ? tokens[1..] : tokens];
        }
        PromptBuilder.CheckFits(model, tokens, "prompt");
        var sampling = SamplingBuilder.OllamaDefaults().WithModelParameters(model.DefaultParameters).Overlay(options)
            .Build(model, tokens.Length, clampMaxTokens: true);
        using var run = GenerationRun.Start(ctx, model, tokens, sampling);
        await new OllamaStreamer(ctx, run, loadTime, chat: false, tokens).RunAsync(stream);
    }

    private static int[] ContextTokens(JsonArgs a)
    {
        var arr = a.Array("context");
        if (arr is null) return [];
        var ids = new int[arr.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var n = arr[i];
            if (n is null || n.GetValueKind() != JsonValueKind.Number || !n.AsValue().TryGetValue<int>(out var id) || id < 0)
                throw ApiException.BadRequest("'context' must be an array of token ids", "context");
            ids[i] = id;
        }
        return ids;
    }
}
