using System.CommandLine;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth rm MODEL...`: removes models (and blobs no other model uses). A model that a running server has
/// loaded is unloaded there first, so the server never keeps serving a model that is gone from the store.</summary>
internal static class RmCommand
{
    private static readonly TimeSpan ServerProbe = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var models = new Argument<string[]>("model") { Description = "Model names", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove models from the local store") { models };
        CommandRunner.SetAction(command, async (parse, ctx, ct) =>
        {
            var store = ctx.OpenStore();
            await using var server = new ServerClient(ctx.ServerUri(null));
            var serverUp = await server.IsUpAsync(ServerProbe, ct);
            foreach (var name in parse.GetRequiredValue(models))
            {
                if (store.Find(name) is not { } entry) throw new CliException($"model '{name}' not found");
                if (serverUp && await StopCommand.LoadedNameAsync(server, entry.Name, ct) is { } loaded)
                {
                    await StopCommand.UnloadAsync(server, loaded, ct);
                    parse.InvocationConfiguration.Output.WriteLine($"unloaded '{loaded}' from the server at {server.BaseUri}");
                }
                if (!store.Delete(name)) throw new CliException($"model '{name}' not found");
                parse.InvocationConfiguration.Output.WriteLine($"deleted '{name}'");
            }
            return 0;
        });
        return command;
    }
}
