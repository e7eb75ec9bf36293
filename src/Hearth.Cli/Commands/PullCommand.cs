using System.CommandLine;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth pull MODEL`: downloads an Ollama registry model (llama3.2, qwen3:4b, namespace/model:tag),
/// hf.co/OWNER/REPO[:QUANT] or a .gguf URL into the store (resumable).</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "[NAMESPACE/]MODEL[:TAG] from the Ollama registry, hf.co/OWNER/REPO[:QUANT] (default quantization Q4_K_M) or an http(s) URL of a .gguf file" };
        var registry = new Option<string?>("--registry") { Description = "Ollama-compatible registry URL (default: HEARTH_REGISTRY, else https://registry.ollama.ai)" };
        var command = new Command("pull", "Download a model into the local store") { model, registry };
        CommandRunner.SetAction(command, async (parse, ctx, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var view = new PullProgressView(output, ctx.OutputIsTerminal);
            var entry = await ctx.OpenStore().PullAsync(parse.GetRequiredValue(model), parse.GetValue(registry), view, ct);
            view.Finish();
            await output.WriteLineAsync($"pulled {entry.Name} ({Format.Bytes(entry.SizeBytes)}, {entry.QuantizationLevel})");
            return 0;
        });
        return command;
    }
}
