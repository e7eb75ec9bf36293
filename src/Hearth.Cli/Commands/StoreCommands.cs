using System.CommandLine;

namespace Hearth.Cli.Commands;

/// <summary>The model-management and chat commands, in `hearth --help` order (one line in CommandTable).</summary>
internal static class StoreCommands
{
    public static IEnumerable<Command> All()
    {
        yield return RunCommand.Create();
        yield return PullCommand.Create();
        yield return ListCommand.Create();
        yield return ShowCommand.Create();
        yield return CreateCommand.Create();
        yield return CpCommand.Create();
        yield return RmCommand.Create();
        yield return PsCommand.Create();
        yield return StopCommand.Create();
    }
}
