using System.Collections.Concurrent;
using System.Text;
using Hearth.Core.Tokenizers;

namespace Hearth.Core.Tests.Tokenizers;

/// <summary>One llama.cpp tokenizer test vector set: ggml-vocab-NAME.gguf with its .inp (cases) and .out (ids).</summary>
internal sealed record VocabTestFile(string GgufPath, string[] Texts, int[][] Expected)
{
    private const string Separator = "\n__ggml_vocab_test__\n";
    private static readonly ConcurrentDictionary<string, ITokenizer> Tokenizers = new();

    /// <summary>Reads the cases exactly as the vocab README specifies: raw UTF-8, split on the separator,
    /// final empty piece dropped; .out lines split on whitespace.</summary>
    public static VocabTestFile Load(string ggufPath) => Load(ggufPath, ggufPath);

    /// <summary>The cases in casesPath + ".inp"/".out" (e.g. tests/fixtures/vocab-extra) for the vocabulary ggufPath.</summary>
    public static VocabTestFile Load(string ggufPath, string casesPath)
    {
        string input = new UTF8Encoding(false, true).GetString(File.ReadAllBytes(casesPath + ".inp"));
        var texts = input.Split(Separator);
        Assert.Equal("", texts[^1]);
        texts = texts[..^1];
        var lines = File.ReadAllText(casesPath + ".out").Split('\n');
        Assert.Equal("", lines[^1]);
        lines = lines[..^1];
        Assert.Equal(texts.Length, lines.Length);
        var expected = lines
            .Select(l => l.Split((char[])[' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())
            .ToArray();
        return new VocabTestFile(ggufPath, texts, expected);
    }

    /// <summary>Tokenizers are loaded once per file for the whole test run (the big ones take a moment).</summary>
    public static ITokenizer TokenizerFor(string ggufPath) =>
        Tokenizers.GetOrAdd(ggufPath, p => TokenizerFactory.FromGguf(p));

    /// <summary>A readable report of every case that does not match, empty when all do.</summary>
    public string Mismatches(ITokenizer tokenizer)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Texts.Length; i++)
        {
            var actual = tokenizer.Encode(Texts[i], addSpecial: false, parseSpecial: false);
            if (!actual.SequenceEqual(Expected[i]))
                sb.AppendLine($"case {i} {Escape(Texts[i])}:\n  expected [{string.Join(' ', Expected[i])}]\n  actual   [{string.Join(' ', actual)}]");
        }
        return sb.ToString();
    }

    public static string Escape(string s) =>
        "\"" + s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r") + "\"";
}
