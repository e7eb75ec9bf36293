using System.Text.Json;
using System.Text.Json.Nodes;
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
        var spec = new GenerationSpec
        {
            Model = p.Model,
            Prompt = ParsePrompt(promptNode),
            Sampling = p.Sampling,
            MaxTokensParam = p.MaxTokensParam,
            Stream = p.Stream,
        };
        await GenerationPipeline.RunAsync(ctx, spec, new CompletionWriter(ctx, p.IncludeUsage));
    }

    /// <summary>A prompt is a string, an array of one string, or an array of token ids (as OpenAI allows).</summary>
    private static PromptSpec ParsePrompt(JsonNode node)
    {
        if (node.GetValueKind() == JsonValueKind.String) return new TextPrompt(node.GetValue<string>());
        if (node is JsonArray a)
        {
            if (a.Count == 1 && a[0]?.GetValueKind() == JsonValueKind.String) return new TextPrompt(a[0]!.GetValue<string>());
            if (a.Count > 0 && a.All(x => x?.GetValueKind() == JsonValueKind.Number))
            {
                // Non-integers and negatives become -1, which the vocabulary check refuses with the model's range.
                var ids = a.Select(x => x!.GetValue<double>()).Select(d => d == Math.Floor(d) && d is >= 0 and <= int.MaxValue ? (int)d : -1).ToArray();
                return new TokenPrompt(ids);
            }
            if (a.Count > 1 && a.All(x => x?.GetValueKind() is JsonValueKind.String or JsonValueKind.Array))
                throw ApiException.BadRequest("only one prompt per request is supported; send one request per prompt", "prompt");
        }
        throw ApiException.BadRequest("'prompt' must be a string, an array of one string, or an array of token ids", "prompt");
    }
}
