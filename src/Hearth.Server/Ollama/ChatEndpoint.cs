using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Ollama;

/// <summary>POST /api/chat.</summary>
public static class ChatEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var a = await JsonArgs.ReadAsync(ctx);
        var name = a.String("model");
        var stream = a.Bool("stream") ?? true;
        var keepAlive = OllamaArgs.KeepAlive(a);
        var format = OllamaArgs.Format(a);
        var options = OllamaArgs.Options(a.Obj("options"));
        var tools = a.Array("tools");
        var rawMessages = a.Array("messages");
        if (rawMessages is null or { Count: 0 })
        {
            await OllamaWriter.LoadOrUnloadAsync(ctx, name, keepAlive, chat: true);
            return;
        }
        var spec = new GenerationSpec
        {
            Model = name,
            KeepAlive = keepAlive,
            Prompt = new ChatPrompt(PromptBuilder.ParseMessages(rawMessages)),
            Defaults = SamplingBuilder.OllamaDefaults(),
            Sampling = options,
            MaxTokensParam = "options.num_predict",
            ClampMaxTokens = true,
            Stream = stream,
            // Given to the chat template; calls in the answer are parsed (whole and streamed) into message.tool_calls.
            Tools = tools is null ? null : new ToolSettings(tools, null, "tools"),
            Output = format,
            Reasoning = OllamaArgs.Think(a),
        };
        await GenerationPipeline.RunAsync(ctx, spec, new OllamaWriter(ctx, chat: true));
    }
}
