using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
        OllamaArgs.Format(a);
        var options = OllamaArgs.Options(a.Obj("options"));
        var tools = a.Array("tools");
        var rawMessages = a.Array("messages");

        if (rawMessages is null or { Count: 0 })
        {
            // Ollama's idioms: an empty chat loads the model, and with keep_alive 0 unloads it.
            if (keepAlive == TimeSpan.Zero)
            {
                await ctx.RequestServices.GetRequiredService<IModelHost>().UnloadAsync(name ?? "");
                await OllamaStreamer.WriteLoadStateAsync(ctx, name ?? "", chat: true, "unload");
                return;
            }
            var (loaded, _) = await ModelAccess.AcquireAsync(ctx, name, keepAlive);
            using (loaded) await OllamaStreamer.WriteLoadStateAsync(ctx, loaded.Model.Name, chat: true, "load");
            return;
        }
        var messages = PromptBuilder.ParseMessages(rawMessages);

        var (lease, loadTime) = await ModelAccess.AcquireAsync(ctx, name, keepAlive);
        using var _ = lease;
        var model = lease.Model;
        var tokens = PromptBuilder.Chat(model, messages, tools);
        PromptBuilder.CheckFits(model, tokens, "messages");
        var sampling = SamplingBuilder.OllamaDefaults().WithModelParameters(model.DefaultParameters).Overlay(options)
            .Build(model, tokens.Length, clampMaxTokens: true);
        using var run = GenerationRun.Start(ctx, model, tokens, sampling);
        await new OllamaStreamer(ctx, run, loadTime, chat: true, tokens).RunAsync(stream);
    }
}
