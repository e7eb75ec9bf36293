using System.CommandLine;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth cp SOURCE DESTINATION`: a second name for a model (shares the blob).</summary>
internal static class CpCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "Existing model" };
        var destination = new Argument<string>("destination") { Description = "New name" };
        var command = new Command("cp", "Copy a model under a new name") { source, destination };
        CommandRunner.SetAction(command, (parse, ctx, _) =>
        {
            var store = ctx.OpenStore();
            var from = parse.GetRequiredValue(source);
            ShowCommand.Resolve(store, from);
            var entry = store.Copy(from, parse.GetRequiredValue(destination));
            parse.InvocationConfiguration.Output.WriteLine($"copied '{from}' to '{entry.Name}'");
            return Task.FromResult(0);
        });
        return command;
    }
}
