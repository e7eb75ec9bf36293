using System.Text;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;

namespace Hearth.Cli.Commands;

/// <summary>`hearth tokenize --model V.gguf --cases F.inp`: the ids of every case of a llama.cpp vocab test file, in the
/// .out format (one line per case, each id preceded by a space, an empty line for no ids). The .inp format: UTF-8 cases,
/// each followed by "\n__ggml_vocab_test__\n", split byte-exactly (no newline normalisation). Used by
/// tools/tokenizer-diff.mjs to compare Hearth with llama.cpp on thousands of cases in one process.</summary>
public static class TokenizeCases
{
    private static readonly byte[] Separator = "\n__ggml_vocab_test__\n"u8.ToArray();

    public static int Run(string modelPath, string casesPath, bool addSpecial, bool parseSpecial, TextWriter stdout, TextWriter stderr)
    {
        ITokenizer tokenizer;
        List<string> cases;
        try
        {
            tokenizer = TokenizerFactory.FromGguf(modelPath);
            cases = Split(File.ReadAllBytes(casesPath));
        }
        catch (Exception e) when (e is GgufException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            stderr.WriteLine($"error: {e.Message.ReplaceLineEndings(" ").Trim()}");
            return 1;
        }
        var sb = new StringBuilder();
        foreach (string text in cases)
        {
            foreach (int id in tokenizer.Encode(text, addSpecial, parseSpecial))
                sb.Append(' ').Append(id);
            sb.Append('\n');
        }
        stdout.Write(sb.ToString());
        return 0;
    }

    /// <summary>The cases of a .inp file (invalid UTF-8 becomes U+FFFD). Text after the last separator is an error.</summary>
    public static List<string> Split(ReadOnlySpan<byte> data)
    {
        var utf8 = new UTF8Encoding(false, false);
        var cases = new List<string>();
        while (!data.IsEmpty)
        {
            int at = data.IndexOf(Separator);
            if (at < 0)
                throw new InvalidDataException("the cases file does not end with the separator \"\\n__ggml_vocab_test__\\n\"");
            cases.Add(utf8.GetString(data[..at]));
            data = data[(at + Separator.Length)..];
        }
        return cases;
    }
}
