using Hearth.Tests;

namespace Hearth.Core.Tests.Tokenizers;

/// <summary>Cases beyond llama.cpp's own test vectors, on the same eleven vocabularies: tests/fixtures/vocab-extra holds
/// strings that Hearth once tokenized differently from llama.cpp (Unicode 16 code points, which llama.cpp's 15.1 tables
/// leave unassigned; Phi-3's "&lt;/s&gt;", an end-of-generation token by text) and a few per character class, with
/// llama.cpp's ids (add_special=false, parse_special=false) made by tools/tokenizer-diff.mjs (see the README there).</summary>
public class VocabExtraTests
{
    private const int CaseCount = 41;

    private static string Cases(string name) => Path.Combine(TestPaths.Fixtures, "vocab-extra", $"ggml-vocab-{name}.gguf");

    [SharedTheory]
    [MemberData(nameof(VocabVectorTests.Vocabularies), MemberType = typeof(VocabVectorTests))]
    public void EveryExtraCaseMatchesLlamaCpp(string name)
    {
        var file = VocabTestFile.Load(TestPaths.SharedFile("vocab", $"ggml-vocab-{name}.gguf")!, Cases(name));
        Assert.Equal(CaseCount, file.Texts.Length);
        Assert.Equal("", file.Mismatches(VocabTestFile.TokenizerFor(file.GgufPath)));
    }

    /// <summary>The vocabularies committed in tests/fixtures/vocab run without ../shared.</summary>
    [Theory]
    [InlineData("llama-spm")]
    [InlineData("phi-3")]
    [InlineData("gpt-2")]
    [InlineData("bert-bge")]
    public void CommittedVocabulariesMatchWithoutShared(string name)
    {
        var file = VocabTestFile.Load(Path.Combine(TestPaths.Fixtures, "vocab", $"ggml-vocab-{name}.gguf"), Cases(name));
        Assert.Equal(CaseCount, file.Texts.Length);
        Assert.Equal("", file.Mismatches(VocabTestFile.TokenizerFor(file.GgufPath)));
    }
}
