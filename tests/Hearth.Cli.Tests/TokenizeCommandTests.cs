using System.Diagnostics;
using System.Text;
using Hearth.Cli.Commands;
using Hearth.Tests;

namespace Hearth.Cli.Tests;

/// <summary>`hearth tokenize`: exact output for the committed GPT-2 and Llama 2 vocabularies, stdin input,
/// flags, and errors for bad files.</summary>
public class TokenizeCommandTests
{
    private static string Vocab(string name) => Path.Combine(TestPaths.Fixtures, "vocab", $"ggml-vocab-{name}.gguf");

    private static (int Code, string Out, string Err) Run(string model, string? text, bool addSpecial = false, bool parseSpecial = false, string stdin = "")
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        int code = TokenizeCommand.Run(model, text, addSpecial, parseSpecial, input, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void PrintsIdsOnOneLine()
    {
        Assert.Equal((0, "15496 995\n", ""), Run(Vocab("gpt-2"), "Hello world"));
        Assert.Equal((0, "15043 3186\n", ""), Run(Vocab("llama-spm"), "Hello world"));
    }

    [Fact]
    public void ReadsStdinWhenNoText()
    {
        // Stdin is taken as is: the trailing newline is part of the text.
        Assert.Equal((0, "15496 995 198\n", ""), Run(Vocab("gpt-2"), null, stdin: "Hello world\n"));
        Assert.Equal((0, "\n", ""), Run(Vocab("gpt-2"), null, stdin: ""));
    }

    [Fact]
    public void FlagsAddAndParseSpecialTokens()
    {
        Assert.Equal((0, "1 15043 3186\n", ""), Run(Vocab("llama-spm"), "Hello world", addSpecial: true));
        Assert.Equal((0, "50256\n", ""), Run(Vocab("gpt-2"), "<|endoftext|>", parseSpecial: true));
        Assert.NotEqual("50256\n", Run(Vocab("gpt-2"), "<|endoftext|>").Out);
    }

    [Fact]
    public void MissingOrInvalidFileIsAOneLineError()
    {
        var missing = Run("/nonexistent/model.gguf", "x");
        Assert.Equal(1, missing.Code);
        Assert.Equal("", missing.Out);
        Assert.StartsWith("error: ", missing.Err);
        Assert.Contains("/nonexistent/model.gguf", missing.Err);
        Assert.Single(missing.Err.TrimEnd('\n').Split('\n'));

        string notGguf = Path.Combine(Path.GetTempPath(), $"hearth-tok-{Guid.NewGuid():N}.gguf");
        File.WriteAllText(notGguf, "this is not a GGUF file at all, just text");
        try
        {
            var bad = Run(notGguf, "x");
            Assert.Equal(1, bad.Code);
            Assert.StartsWith("error: ", bad.Err);
            Assert.Single(bad.Err.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(notGguf);
        }
    }

    [Fact]
    public void CasesFileGivesTheOutLinesOfEveryCase()
    {
        // The committed GPT-2 vectors: --cases must reproduce the .out file byte for byte.
        string gguf = Vocab("gpt-2");
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        Assert.Equal(0, TokenizeCases.Run(gguf, gguf + ".inp", addSpecial: false, parseSpecial: false, stdout, stderr));
        Assert.Equal("", stderr.ToString());
        Assert.Equal(File.ReadAllText(gguf + ".out"), stdout.ToString());
    }

    [Fact]
    public void CasesFileSplitsExactlyAndRejectsATruncatedFile()
    {
        Assert.Equal(["", "a\n", " \r\n"], TokenizeCases.Split("\n__ggml_vocab_test__\na\n\n__ggml_vocab_test__\n \r\n\n__ggml_vocab_test__\n"u8));
        Assert.Empty(TokenizeCases.Split(""u8));
        string bad = Path.Combine(Path.GetTempPath(), $"hearth-cases-{Guid.NewGuid():N}.inp");
        File.WriteAllText(bad, "no separator at the end");
        try
        {
            var stderr = new StringWriter { NewLine = "\n" };
            Assert.Equal(1, TokenizeCases.Run(Vocab("gpt-2"), bad, false, false, new StringWriter(), stderr));
            Assert.StartsWith("error: ", stderr.ToString());
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public async Task BuiltCliPrintsExactIds()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "hearth.dll");
        Assert.True(File.Exists(dll), dll);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in (string[])[dll, "tokenize", "--model", Vocab("gpt-2"), "--text", "Hello world"])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token); // throws if hearth tokenize hangs
        Assert.Equal("", await stderr);
        Assert.Equal("15496 995\n", await stdout);
        Assert.Equal(0, p.ExitCode);
    }
}
