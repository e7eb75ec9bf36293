using System.Text;
using System.Text.Json;
using Hearth.Core.Tokenizers;
using Hearth.Tests;

namespace Hearth.Core.Tests.Tokenizers;

/// <summary>WordPiece (BGE vocabulary) against llama.cpp's own tokenizer on text that walks Unicode 32 code points
/// at a time and on precomposed/decomposed/compatibility forms of accented words (fixture made by llama.cpp through
/// tools/embeddings/make-wordpiece-fixture.py).</summary>
public class WordPieceReferenceTests
{
    [Fact]
    public void EveryCaseMatchesLlamaCpp()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "embeddings", "wordpiece-bge-stress.json")));
        var tokenizer = VocabTestFile.TokenizerFor(Path.Combine(TestPaths.Fixtures, "vocab", "ggml-vocab-bert-bge.gguf"));
        var mismatches = new StringBuilder();
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            count++;
            string text = c.GetProperty("text").GetString()!;
            int[] expected = c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            int[] actual = tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
            if (!expected.SequenceEqual(actual))
                mismatches.AppendLine($"{VocabTestFile.Escape(text)}\n  llama.cpp: {string.Join(' ', expected)}\n  hearth:    {string.Join(' ', actual)}");
        }
        Assert.True(count > 700, $"only {count} cases");
        Assert.Equal("", mismatches.ToString());
    }
}
