using System.CommandLine;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth rm MODEL...`: removes models (and blobs no other model uses).</summary>
internal static class RmCommand
{
    public static Command Create()
    {
        var models = new Argument<string[]>("model") { Description = "Model names", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove models from the local store") { models };
        CommandRunner.SetAction(command, (parse, ctx, _) =>
        {
            var store = ctx.OpenStore();
            foreach (var name in parse.GetRequiredValue(models))
            {
                if (!store.Delete(name)) throw new CliException($"model '{name}' not found");
                parse.InvocationConfiguration.Output.WriteLine($"deleted '{name}'");
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
