using Hearth.Cli.Support;

namespace Hearth.Cli.Tests;

/// <summary>Tables and errors: Spectre.Console's bordered table and one red line on a terminal, plain text otherwise.</summary>
public sealed class ConsoleStyleTests
{
    private static readonly string[][] Rows = [["NAME", "SIZE"], ["tinystories:latest", "1.2 MB"], ["a[b]", "3 KB"]];

    [Fact]
    public void OnATerminalATableHasABorderAndEveryCell()
    {
        var w = new StringWriter();
        ConsoleStyle.Table(w, terminal: true, Rows);
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("╭", lines[0]);
        Assert.StartsWith("╰", lines[^1].TrimEnd('\r'));
        Assert.Contains(lines, l => l.Contains("tinystories:latest") && l.Contains("1.2 MB"));
        Assert.Contains(lines, l => l.Contains("a[b]") && l.Contains("3 KB")); // markup characters in a cell are text
        Assert.Equal(6, lines.Length); // top, header, rule, two rows, bottom
    }

    [Fact]
    public void RedirectedATableIsAlignedPlainColumns()
    {
        var w = new StringWriter();
        ConsoleStyle.Table(w, terminal: false, Rows);
        Assert.Equal("NAME                  SIZE\ntinystories:latest    1.2 MB\na[b]                  3 KB\n", w.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void AnErrorIsOneLineRedOnATerminalAndPlainOtherwise()
    {
        var tty = new StringWriter();
        ConsoleStyle.Error(tty, terminal: true, "model 'x[1]' not found");
        var text = tty.ToString();
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\u001b[", text); // an ANSI colour
        Assert.Contains("Error: model 'x[1]' not found", text);
        var plain = new StringWriter();
        ConsoleStyle.Error(plain, terminal: false, "model 'x[1]' not found");
        Assert.Equal("Error: model 'x[1]' not found\n", plain.ToString().ReplaceLineEndings("\n"));
    }
}
