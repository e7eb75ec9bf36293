namespace Hearth.Cli.Tests.Commands;

/// <summary>`hearth bench-speculative` on the embedded model (prompt lookup and the model as its own draft: same
/// tokens as without speculation, acceptance reported, every draft accepted with draft = target), and the
/// speculative flags' errors.</summary>
public class SpeculativeCommandTests
{
    private static readonly string EditPrompt = Path.Combine(Hearth.Tests.TestPaths.RepoRoot, "bench", "speculative", "edit-prompt.txt");

    [Fact]
    public async Task BenchSpeculativeReportsSameTokensAndAcceptance()
    {
        using var cli = new CliHarness();
        var r = await cli.RunAsync("bench-speculative", "--model", CliHarness.Gguf, "--draft-model", CliHarness.Gguf, "--prompt-file", EditPrompt,
            "--max-tokens", "48", "--rounds", "1", "--warmup", "0", "--modes", "none,ngram-always,draft-always", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Out + r.Err);
        var lines = r.Out.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("none ") && l.Contains("same tokens: yes"));
        Assert.Contains(lines, l => l.StartsWith("ngram-always ") && l.Contains("same tokens: yes") && l.Contains("acceptance"));
        Assert.Contains(lines, l => l.StartsWith("draft-always ") && l.Contains("same tokens: yes") && l.Contains("acceptance 100.0 %"));
    }

    [Theory]
    [InlineData(new[] { "--speculative", "draft" }, "--speculative draft needs --draft-model FILE")]
    [InlineData(new[] { "--speculative", "ngram", "--draft-model", "x.gguf" }, "--draft-model is only used with --speculative draft")]
    [InlineData(new[] { "--speculative", "draft", "--draft-model", "/nonexistent/d.gguf" }, "no such draft model file")]
    public async Task ServeRefusesInconsistentSpeculativeFlags(string[] flags, string message)
    {
        using var cli = new CliHarness();
        var r = await cli.RunAsync(["serve", "--port", "0", .. flags]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Err);
    }
}
