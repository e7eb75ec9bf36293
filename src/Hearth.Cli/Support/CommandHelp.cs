using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Hearth.Bench.Metrics;

namespace Hearth.Cli.Support;

/// <summary>`--help` as System.CommandLine writes it (one line per command in `hearth --help`), plus, for
/// `hearth bench --help`, the glossary of the bench's metrics after its options.</summary>
internal sealed class CommandHelp(HelpAction inner) : SynchronousCommandLineAction
{
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new CommandHelp((HelpAction)help.Action!);
    }

    public override int Invoke(ParseResult parseResult)
    {
        var code = inner.Invoke(parseResult);
        if (parseResult.CommandResult.Command.Name == "bench" && parseResult.CommandResult.Command.Parents.Any(p => p is RootCommand))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Metrics:");
            foreach (var line in MetricDefinitions.Text.Split('\n')) output.WriteLine("  " + line);
            output.WriteLine();
        }
        return code;
    }
}
