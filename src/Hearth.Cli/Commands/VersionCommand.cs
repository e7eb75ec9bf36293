using System.CommandLine;

namespace Hearth.Cli.Commands;

/// <summary>`hearth version`: prints the version.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print Hearth's version");
        command.SetAction(_ =>
        {
            Console.WriteLine($"hearth {typeof(VersionCommand).Assembly.GetName().Version}");
            return 0;
        });
        return command;
    }
}
