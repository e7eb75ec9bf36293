using System.CommandLine;
using System.Text;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;

namespace Hearth.Cli.Commands;

/// <summary>`hearth tokenize --model FILE.gguf [--text TEXT] [--add-special] [--parse-special]`: prints the
/// token ids of the text (or of stdin, read as raw UTF-8) space-separated on one line. The defaults match
/// llama.cpp's tokenizer test vectors: no BOS/EOS added, special-token text not parsed. `--cases FILE.inp` tokenizes
/// every case of a file in that test-vector format and prints the matching .out lines (see <see cref="TokenizeCases"/>).</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file whose tokenizer to use", Required = true };
        var text = new Option<string?>("--text", "-t") { Description = "Text to tokenize (default: read stdin as UTF-8)" };
        var addSpecial = new Option<bool>("--add-special") { Description = "Add BOS/EOS as the vocabulary says" };
        var parseSpecial = new Option<bool>("--parse-special") { Description = "Match control tokens written in the text (e.g. <|eot_id|>)" };
        var cases = new Option<string?>("--cases") { Description = "Tokenize each case of a llama.cpp vocab test file (.inp) and print its .out lines" };
        var command = new Command("tokenize", "Print the token ids of a text using a GGUF model's tokenizer")
        {
            model, text, addSpecial, parseSpecial, cases,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(cases) is { } casesPath)
                return TokenizeCases.Run(parse.GetValue(model)!, casesPath, parse.GetValue(addSpecial), parse.GetValue(parseSpecial),
                    Console.Out, Console.Error);
            using var stdin = Console.OpenStandardInput();
            return Run(parse.GetValue(model)!, parse.GetValue(text), parse.GetValue(addSpecial), parse.GetValue(parseSpecial),
                stdin, Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>The command's work, with its streams passed in (for tests). Returns the exit code: 0, or 1 with
    /// a one-line message on stderr when the file is missing or is not a usable GGUF tokenizer.</summary>
    public static int Run(string modelPath, string? text, bool addSpecial, bool parseSpecial, Stream stdin, TextWriter stdout, TextWriter stderr)
    {
        ITokenizer tokenizer;
        try
        {
            tokenizer = TokenizerFactory.FromGguf(modelPath);
        }
        catch (GgufException e)
        {
            stderr.WriteLine($"error: {OneLine(e.Message)}");
            return 1;
        }

        if (text is null)
        {
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            // Raw UTF-8 as given (no BOM stripping, no newline trimming); invalid bytes become U+FFFD.
            text = new UTF8Encoding(false, false).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }

        int[] ids = tokenizer.Encode(text, addSpecial, parseSpecial);
        stdout.WriteLine(string.Join(' ', ids));
        return 0;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
