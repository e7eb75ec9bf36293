using Spectre.Console;

namespace Hearth.Cli.Support;

/// <summary>The Spectre console for live displays (pull progress, bench progress) on a terminal: ANSI and interactive,
/// so Spectre redraws rows in place; as wide as the terminal.</summary>
internal static class LiveConsole
{
    public static IAnsiConsole For(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
        });
        console.Profile.Width = Console.IsOutputRedirected ? 120 : Math.Max(60, Console.WindowWidth);
        console.Profile.Capabilities.Unicode = true;
        return console;
    }
}
