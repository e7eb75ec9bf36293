using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Hearth.Server.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Cluster;

/// <summary>POST /v1/prefix_hashes: the prefix-cache block hashes a request's prompt would look up, so a router can
/// ask which replica holds the longest part of it (without a tokenizer or template of its own). Takes the body of a
/// chat completion (messages, tools) or a completion (one prompt); answers
/// <c>{"model", "block_size", "prompt_tokens", "hashes": ["16 hex digits", …]}</c>. The chain starts where the
/// engine's does for the request's adapters — those its model name brings (a served adapter, <c>BASE+ADAPTER</c>) or
/// its llama-server <c>lora</c> field — so a prefix computed under an adapter is found only by requests with the same
/// adapters and scales, and a bare-model request never counts it as a hit.</summary>
public static class PrefixHashesEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        PromptSpec prompt;
        ToolSettings? tools = null;
        if (args.Has("messages"))
        {
            prompt = new ChatPrompt(PromptBuilder.ParseMessages(args.Array("messages")));
            if (args.Array("tools") is { } t) tools = new ToolSettings(t, args.Object["tool_choice"], "tools");
        }
        else if (args.Object["prompt"] is { } node)
        {
            var prompts = CompletionsEndpoint.ParsePrompts(node);
            if (prompts.Count != 1) throw ApiException.BadRequest("'prompt' must be one prompt here", "prompt");
            prompt = prompts[0];
        }
        else throw ApiException.BadRequest("'messages' or 'prompt' is required", "messages");

        var loraRequest = LoraRequest.Parse(args);
        var (lease, _) = await ModelAccess.AcquireAsync(ctx, args.String("model"));
        using (lease)
        {
            var model = lease.Model;
            if (model.Engine.PrefixCache is not { } cache)
                throw ApiException.BadRequest($"model '{model.Name}' has no prefix cache (prefix caching is off)", "model");
            // The adapters exactly as a generation request picks them (its own list replaces the model name's).
            using var lora = loraRequest?.Acquire(ctx, model);
            ulong root = (lora is null ? model.Lora : lora.Selection)?.HashRoot ?? PrefixHashes.Root;
            // The same template variables a chat completion renders with (its tools and chat_template_kwargs).
            var tokens = prompt.Tokens(model, new PromptOptions(tools?.Definitions, args.Obj("chat_template_kwargs")?.Object));
            var hashes = PrefixHashes.ForPrompt(tokens, cache.BlockSize, root);
            await JsonOut.WriteAsync(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("model", model.Name);
                w.WriteNumber("block_size", cache.BlockSize);
                w.WriteNumber("prompt_tokens", tokens.Length);
                w.WriteStartArray("hashes");
                foreach (var h in hashes) w.WriteStringValue(PrefixHashes.ToHex(h));
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
    }
}
