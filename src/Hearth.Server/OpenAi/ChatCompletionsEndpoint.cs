using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.OpenAi;

/// <summary>POST /v1/chat/completions: parses the request into a <see cref="GenerationSpec"/>; the pipeline does the rest.</summary>
public static class ChatCompletionsEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        var p = OpenAiParams.Parse(args, chat: true);
        var messages = PromptBuilder.ParseMessages(args.Array("messages"));
        var spec = new GenerationSpec
        {
            Model = p.Model,
            Prompt = new ChatPrompt(messages),
            Sampling = p.Sampling,
            MaxTokensParam = p.MaxTokensParam,
            Stream = p.Stream,
            // Given to the chat template; calls in the answer are parsed (ToolPlan); required/named choices are enforced.
            Tools = args.Array("tools") is { } tools ? new ToolSettings(tools, args.Object["tool_choice"], "tools") : null,
            Output = OpenAiParams.Output(args),
            Lora = LoraRequest.Parse(args),
            // vLLM's chat_template_kwargs go to the template; its enable_thinking turns thinking on or off.
            TemplateArgs = args.Obj("chat_template_kwargs")?.Object,
            Reasoning = args.Obj("chat_template_kwargs")?.Bool("enable_thinking") is { } think ? new ReasoningSettings("chat_template_kwargs.enable_thinking", think) : null,
        };
        await GenerationPipeline.RunAsync(ctx, spec, new ChatCompletionWriter(ctx, p.IncludeUsage));
    }
}
