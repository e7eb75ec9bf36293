using System.CommandLine;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth list`: the models in the store.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var command = new Command("list", "List the models in the local store");
        command.Aliases.Add("ls");
        CommandRunner.SetAction(command, (parse, ctx, _) =>
        {
            var now = DateTimeOffset.UtcNow;
            var rows = new List<string[]> { new[] { "NAME", "ID", "SIZE", "MODIFIED" } };
            rows.AddRange(ctx.OpenStore().List().Select(e => new[] { e.Name, e.Digest[7..19], Format.Bytes(e.SizeBytes), Format.Ago(e.ModifiedAt, now) }));
            ConsoleStyle.Table(parse.InvocationConfiguration.Output, ctx.OutputIsTerminal, rows);
            return Task.FromResult(0);
        });
        return command;
    }
}
