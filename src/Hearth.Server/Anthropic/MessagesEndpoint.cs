using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Anthropic;

/// <summary>Anthropic's Messages API: POST /v1/messages and POST /v1/messages/count_tokens. The `anthropic-version`
/// header is accepted (one version is served); `x-api-key` authenticates like a Bearer key.</summary>
public static class MessagesEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var spec = MessagesRequest.Parse(await JsonArgs.ReadAsync(ctx), countOnly: false);
        await GenerationPipeline.RunAsync(ctx, spec, new MessagesWriter(ctx, spec.Sampling.Stop ?? []));
    }

    public static async Task CountTokens(HttpContext ctx)
    {
        var spec = MessagesRequest.Parse(await JsonArgs.ReadAsync(ctx), countOnly: true);
        var count = await GenerationPipeline.CountPromptTokensAsync(ctx, spec);
        await MessagesWriter.WriteJsonAsync(ctx, new TokenCount(count), AnthropicJsonContext.Api.TokenCount);
    }
}
