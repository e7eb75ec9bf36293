using System.CommandLine;

namespace Hearth.Cli.Commands;

/// <summary>The list of `hearth` subcommands, in the order `hearth --help` shows them.</summary>
internal static class CommandTable
{
    /// <summary>The `hearth` root command: every subcommand, and --help as <see cref="Support.CommandHelp"/> writes it.</summary>
    public static RootCommand Root(string description)
    {
        var root = new RootCommand(description);
        foreach (var command in All()) root.Subcommands.Add(command);
        Support.CommandHelp.Install(root);
        return root;
    }

    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        foreach (var command in StoreCommands.All()) yield return command;
        yield return BenchCommand.Create();
        yield return RouterCommand.Create();
        yield return ServeCommand.Create();
        yield return ShowTemplateCommand.Create();
        yield return TokenizeCommand.Create();
        yield return SynthCommand.Create();
        yield return BenchOfflineCommand.Create();
        yield return BenchSpeculativeCommand.Create();
        yield return GenerateCommand.Create();
    }
}
