using System.CommandLine;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth pull MODEL`: downloads hf.co/OWNER/REPO[:QUANT] or a .gguf URL into the store (resumable).</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "hf.co/OWNER/REPO[:QUANT] (default quantization Q4_K_M) or an http(s) URL of a .gguf file" };
        var command = new Command("pull", "Download a model into the local store") { model };
        CommandRunner.SetAction(command, async (parse, ctx, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var view = new PullProgressView(output, ctx.OutputIsTerminal);
            try
            {
                var entry = await ctx.OpenStore().PullAsync(parse.GetRequiredValue(model), view, ct);
                view.Finish();
                await output.WriteLineAsync($"pulled {entry.Name} ({Format.Bytes(entry.SizeBytes)}, {entry.QuantizationLevel})");
                return 0;
            }
            finally
            {
                view.Finish();
            }
        });
        return command;
    }
}
