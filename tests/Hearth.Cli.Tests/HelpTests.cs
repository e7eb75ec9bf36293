namespace Hearth.Cli.Tests;

/// <summary>`hearth --help` lists one line per command; the bench's metric glossary is in `hearth bench --help` only.</summary>
public sealed class HelpTests
{
    [Fact]
    public async Task TopLevelHelpIsOneLinePerCommandAndBenchHelpHasTheGlossary()
    {
        var cli = new CliHarness();
        var top = await cli.RunAsync("--help");
        Assert.Equal(0, top.ExitCode);
        var commands = top.Out.Split("Commands:\n")[1].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(commands, l => Assert.Matches(@"^  \S", l)); // every line starts a command: no continuation lines
        Assert.Contains(commands, l => l.StartsWith("  bench ", StringComparison.Ordinal));
        Assert.DoesNotContain("TTFT (time to first token)", top.Out);

        var bench = await cli.RunAsync("bench", "--help");
        Assert.Equal(0, bench.ExitCode);
        Assert.Contains("--concurrency", bench.Out);
        Assert.Contains("Metrics:\n  All times are measured by the client", bench.Out);
        Assert.Contains("TTFT (time to first token)", bench.Out);
    }
}
