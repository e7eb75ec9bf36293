using System.CommandLine;
using System.Text.Json.Nodes;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth stop MODEL`: asks the running server to unload a model (POST /api/generate with keep_alive 0).</summary>
internal static class StopCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model to unload" };
        var host = PsCommand.HostOption();
        var command = new Command("stop", "Unload a model from a running server") { model, host };
        CommandRunner.SetAction(command, async (parse, ctx, ct) =>
        {
            await using var client = new ServerClient(ctx.ServerUri(parse.GetValue(host)));
            var name = parse.GetRequiredValue(model);
            await client.PostAsync("api/generate", new JsonObject { ["model"] = name, ["keep_alive"] = 0 }, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"stopped '{name}'");
            return 0;
        });
        return command;
    }
}
