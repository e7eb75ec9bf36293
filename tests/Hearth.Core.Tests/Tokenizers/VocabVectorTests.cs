using Hearth.Core.Tokenizers;
using Hearth.Tests;

namespace Hearth.Core.Tests.Tokenizers;

/// <summary>llama.cpp's tokenizer test vectors: every case of every vocabulary in ../shared/vocab must give
/// exactly the reference ids (add_special=false, parse_special=false).</summary>
public class VocabVectorTests
{
    public static TheoryData<string> Vocabularies()
    {
        var data = new TheoryData<string>();
        // The list is fixed (not discovered) so that a missing file fails instead of silently shrinking the test.
        foreach (var name in (string[])["bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "llama-bpe",
                     "llama-spm", "mpt", "phi-3", "refact", "starcoder"])
            data.Add(name);
        return data;
    }

    private static string VocabPath(string name) => TestPaths.SharedFile("vocab", $"ggml-vocab-{name}.gguf")!;

    [SharedTheory]
    [MemberData(nameof(Vocabularies))]
    public void EveryCaseMatchesReferenceIds(string name)
    {
        var file = VocabTestFile.Load(VocabPath(name));
        Assert.Equal(46, file.Texts.Length);
        var tokenizer = VocabTestFile.TokenizerFor(file.GgufPath);
        Assert.Equal("", file.Mismatches(tokenizer));
    }

    [SharedTheory]
    [MemberData(nameof(Vocabularies))]
    public void DecodeOfEncodeGivesTheTextBack(string name)
    {
        var file = VocabTestFile.Load(VocabPath(name));
        var tokenizer = (GgufTokenizer)VocabTestFile.TokenizerFor(file.GgufPath);
        if (tokenizer.Kind == TokenizerKind.WordPiece)
            return; // WordPiece lower-cases, strips accents and drops whitespace: not reversible by design
        foreach (var text in file.Texts)
        {
            var decoded = tokenizer.Decode(tokenizer.Encode(text, addSpecial: false, parseSpecial: false));
            // SentencePiece's dummy prefix adds one leading space to non-empty text.
            string expected = tokenizer.Kind == TokenizerKind.SentencePiece && text.Length > 0 ? " " + text : text;
            Assert.Equal(VocabTestFile.Escape(expected), VocabTestFile.Escape(decoded));
        }
    }
}
