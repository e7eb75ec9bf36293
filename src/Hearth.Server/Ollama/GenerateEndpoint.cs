using System.Text.Json;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

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
        var format = OllamaArgs.Format(a);
        var options = OllamaArgs.Options(a.Obj("options"));
        if (a.Array("images") is { Count: > 0 }) throw ApiException.BadRequest("images are not supported by this server", "images");
        var context = ContextTokens(a);
        if (prompt.Length == 0 && context.Length == 0)
        {
            await OllamaWriter.LoadOrUnloadAsync(ctx, name, keepAlive, chat: false);
            return;
        }
        var spec = new GenerationSpec
        {
            Model = name,
            KeepAlive = keepAlive,
            Prompt = new GeneratePrompt(prompt, system, raw, context),
            Defaults = SamplingBuilder.OllamaDefaults(),
            Sampling = options,
            MaxTokensParam = "options.num_predict",
            ClampMaxTokens = true,
            Stream = stream,
            Output = format,
            Reasoning = OllamaArgs.Think(a),
        };
        await GenerationPipeline.RunAsync(ctx, spec, new OllamaWriter(ctx, chat: false));
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
