using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.OpenAi;

/// <summary>POST /v1/completions (the legacy text-completion API): one prompt or several, optionally echoed.</summary>
public static class CompletionsEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        var p = OpenAiParams.Parse(args, chat: false);
        var promptNode = args.Object["prompt"] ?? throw ApiException.BadRequest("'prompt' is required", "prompt");
        var prompts = ParsePrompts(promptNode);
        var echo = args.Bool("echo") ?? false;
        if (echo && p.Sampling.Logprobs is not null)
            throw ApiException.BadRequest("'echo' with 'logprobs' is not supported (prompt logprobs are not computed)", "echo");
        var spec = new GenerationSpec
        {
            Model = p.Model,
            Prompt = prompts[0],
            MorePrompts = prompts[1..],
            Sampling = p.Sampling,
            MaxTokensParam = p.MaxTokensParam,
            Stream = p.Stream,
            Output = OpenAiParams.Output(args),
            Lora = LoraRequest.Parse(args),
        };
        await GenerationPipeline.RunAsync(ctx, spec, new CompletionWriter(ctx, p.IncludeUsage, echo ? prompts : null));
    }

    /// <summary>A prompt is a string, an array of token ids, or an array of several of either (as OpenAI allows);
    /// at most <see cref="MaxPrompts"/>.</summary>
    public static List<PromptSpec> ParsePrompts(JsonNode node)
    {
        if (node is JsonArray a && a.Count > 0 && a.All(x => x?.GetValueKind() is JsonValueKind.String or JsonValueKind.Array))
        {
            if (a.Count > MaxPrompts) throw ApiException.BadRequest($"'prompt' may hold at most {MaxPrompts} prompts", "prompt");
            return a.Select((x, i) => ParsePrompt(x!, $"prompt[{i}]")).ToList();
        }
        return [ParsePrompt(node, "prompt")];
    }

    /// <summary>Most prompts in one request (each runs n sequences).</summary>
    public const int MaxPrompts = 16;

    private static PromptSpec ParsePrompt(JsonNode node, string field)
    {
        if (node.GetValueKind() == JsonValueKind.String) return new TextPrompt(node.GetValue<string>());
        if (node is JsonArray a && a.Count > 0 && a.All(x => x?.GetValueKind() == JsonValueKind.Number))
        {
            // Non-integers and negatives become -1, which the vocabulary check refuses with the model's range.
            var ids = a.Select(x => x!.GetValue<double>()).Select(d => d == Math.Floor(d) && d is >= 0 and <= int.MaxValue ? (int)d : -1).ToArray();
            return new TokenPrompt(ids);
        }
        throw ApiException.BadRequest($"'{field}' must be a string, an array of token ids, or an array of those", "prompt");
    }
}
