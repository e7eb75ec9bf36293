using System.CommandLine;
using System.Text.Json.Nodes;
using Hearth.Cli.Support;
using Hearth.Store;

namespace Hearth.Cli.Commands;

/// <summary>`hearth run MODEL [PROMPT]`: one answer when a prompt is given or stdin is piped, otherwise an interactive
/// chat. Uses a running server (/api/chat) when one answers /health, else an in-process engine when this build has one.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model name (pulled first when it is an hf.co name or URL not yet in the store)" };
        var prompt = new Argument<string[]>("prompt") { Description = "Prompt; without one (and without piped input) the chat is interactive", Arity = ArgumentArity.ZeroOrMore };
        var host = PsCommand.HostOption();
        var command = new Command("run", "Run a model: one prompt, or an interactive chat") { model, prompt, host };
        var speculative = new SpeculativeFlags(); // in-process only: a running server keeps its own settings
        speculative.AddTo(command);
        CommandRunner.SetAction(command, async (parse, ctx, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var store = ctx.OpenStore();
            var name = await EnsureLocalAsync(store, parse.GetRequiredValue(model), output, ctx, ct);
            var engine = speculative.Apply(parse, new Hearth.Engine.EngineOptions());
            var loader = engine.SpeculativeMethod == Hearth.Engine.SpeculativeMethod.None || ctx.InProcessLoader is null
                ? ctx.InProcessLoader
                : (entry, token) => Task.Run(() => ServeModelLoader.Load(entry.Name, entry.GgufPath, entry,
                    new ServeEngineSettings(Environment.ProcessorCount, engine) { DraftModelPath = parse.GetValue(speculative.DraftModel) }), token);
            await using var backend = await ConnectAsync(ctx, parse.GetValue(host), store, loader, ct);

            var text = string.Join(' ', parse.GetValue(prompt) ?? []);
            if (ctx.InputRedirected)
            {
                var piped = await ctx.Input.ReadToEndAsync(ct);
                text = text.Length > 0 && piped.Length > 0 ? $"{text}\n\n{piped}" : text + piped;
            }
            if (text.Length > 0 || ctx.InputRedirected)
            {
                if (text.Trim().Length == 0) throw new CliException("the prompt is empty");
                await foreach (var piece in backend.ChatAsync(name, [new ChatMessage("user", text)], [], ct))
                {
                    await output.WriteAsync(piece);
                    await output.FlushAsync(ct);
                }
                await output.WriteLineAsync();
                return 0;
            }
            var session = new ChatSession(backend, name, ctx.Input, output, w =>
            {
                if (store.Find(name) is { } entry) ShowCommand.Write(w, entry, ctx.OutputIsTerminal);
                else w.WriteLine($"model '{name}' is not in the local store");
            });
            await session.RunAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>Makes sure a pullable model is in the store (like `ollama run`); returns the name to use.</summary>
    private static async Task<string> EnsureLocalAsync(ModelStore store, string name, TextWriter output, CliContext ctx, CancellationToken ct)
    {
        bool isUrl = name.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || name.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!isUrl && store.Find(name) is { } found) return found.Name;
        if (!isUrl && ModelName.TryParse(name, out var parsed, out _) && parsed == EmbeddedModel.Name)
            return EmbeddedModel.EnsureRegistered(store).Name;
        if (isUrl || ModelName.TryParse(name, out parsed, out _) && parsed.IsHuggingFace)
        {
            using var view = new PullProgressView(output, ctx.OutputIsTerminal);
            var entry = await store.PullAsync(name, view, ct);
            view.Finish();
            return entry.Name;
        }
        return ModelName.Parse(name).ToString(); // not local: a server may still know it
    }

    private static async Task<IChatBackend> ConnectAsync(CliContext ctx, string? hostOption, ModelStore store,
        Func<ModelEntry, CancellationToken, Task<Hearth.Store.Hosting.LoadedModel>>? inProcess, CancellationToken ct)
    {
        var uri = ctx.ServerUri(hostOption);
        var server = new ServerClient(uri);
        if (await server.IsUpAsync(TimeSpan.FromSeconds(2), ct)) return server;
        await server.DisposeAsync();
        if (hostOption is null && inProcess is { } loader) return await InProcessChat.StartAsync(store, loader, ct);
        throw new CliException($"no Hearth server answers at {uri}; start one with `hearth serve`" +
            (ctx.InProcessLoader is null ? " (in-process generation is not available in this build)" : ""));
    }
}
