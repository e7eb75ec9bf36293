using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hearth.Cli.Support;

/// <summary>Spectre.Console output where a person reads it: tables with a border and a bold header, errors as one red
/// line. When the output is redirected (scripts, logs, tests) the same content is written as plain text: tables as
/// space-aligned columns (<see cref="Format.Table"/>), errors as "Error: …".</summary>
internal static class ConsoleStyle
{
    /// <summary>A Spectre console writing to <paramref name="output"/>; wide enough that no line is wrapped.</summary>
    public static IAnsiConsole For(TextWriter output, bool color)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 4096;
        console.Profile.Capabilities.Unicode = true;
        return console;
    }

    /// <summary>Writes rows (the first is the header): a Spectre table on a terminal, aligned plain columns otherwise.</summary>
    public static void Table(TextWriter output, bool terminal, IReadOnlyList<string[]> rows)
    {
        if (!terminal)
        {
            Format.Table(output, rows);
            return;
        }
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in rows[0]) table.AddColumn(new TableColumn(new Markup("[bold]" + Markup.Escape(h) + "[/]")).NoWrap());
        foreach (var row in rows.Skip(1))
            table.AddRow(row.Select(c => (IRenderable)new Text(c)).ToArray());
        if (rows.Count == 1) table.Caption("(none)");
        var console = For(output, color: true);
        console.Profile.Width = Math.Max(40, Console.IsOutputRedirected ? 120 : Console.WindowWidth);
        console.Write(table);
    }

    /// <summary>One error line: red on a terminal, plain "Error: …" otherwise.</summary>
    public static void Error(TextWriter error, bool terminal, string message)
    {
        if (!terminal)
        {
            error.WriteLine("Error: " + message);
            return;
        }
        For(error, color: true).MarkupLine("[red]Error: " + Markup.Escape(message) + "[/]");
    }
}
