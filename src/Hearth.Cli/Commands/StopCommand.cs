using System.CommandLine;
using System.Text.Json.Nodes;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth stop MODEL`: asks the running server to unload a model (POST /api/generate with keep_alive 0).
/// A model the server has not loaded is an error (exit 1), not "stopped".</summary>
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
            var loaded = await LoadedNameAsync(client, name, ct)
                ?? throw new CliException($"model '{name}' is not loaded on the server at {client.BaseUri} (see `hearth ps`)");
            await UnloadAsync(client, loaded, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"stopped '{loaded}'");
            return 0;
        });
        return command;
    }

    /// <summary>The full name under which the server has <paramref name="name"/> loaded, or null.</summary>
    internal static async Task<string?> LoadedNameAsync(ServerClient client, string name, CancellationToken ct)
    {
        var ps = await client.GetAsync("api/ps", ct);
        var full = name.Contains(':') ? name : name + ":latest";
        return (ps["models"]?.AsArray() ?? []).Select(m => m?["name"]?.ToString())
            .FirstOrDefault(n => n is not null && (string.Equals(n, name, StringComparison.OrdinalIgnoreCase) || string.Equals(n, full, StringComparison.OrdinalIgnoreCase)));
    }

    internal static Task UnloadAsync(ServerClient client, string name, CancellationToken ct) =>
        client.PostAsync("api/generate", new JsonObject { ["model"] = name, ["keep_alive"] = 0 }, ct);
}
