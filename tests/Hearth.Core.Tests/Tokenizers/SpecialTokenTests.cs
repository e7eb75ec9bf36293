using Hearth.Core.Tokenizers;
using Hearth.Tests;

namespace Hearth.Core.Tests.Tokenizers;

/// <summary>parse_special, user-defined tokens, BOS/EOS defaults and end-of-generation on the shared vocabularies.</summary>
public class SpecialTokenTests
{
    private static GgufTokenizer Vocab(string name) =>
        (GgufTokenizer)VocabTestFile.TokenizerFor(TestPaths.SharedFile("vocab", $"ggml-vocab-{name}.gguf")!);

    [SharedFact]
    public void Llama3ControlTokensParseOnlyWhenAsked()
    {
        var t = Vocab("llama-bpe");
        const string text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        Assert.Equal([128006, 882, 128007, 271, 13347, 128009], t.Encode(text, addSpecial: false, parseSpecial: true));
        int[] plain = t.Encode(text, addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(plain, id => id >= 128000);
        Assert.Equal(text, t.Decode(plain));
        Assert.Equal([128000, 13347], t.Encode("Hi", addSpecial: true, parseSpecial: false));
        Assert.True(t.AddBos);
        Assert.True(t.IsEndOfGeneration(128001)); // EOS <|end_of_text|>
        Assert.True(t.IsEndOfGeneration(128009)); // <|eot_id|>, found by its text
        Assert.False(t.IsEndOfGeneration(128000));
        Assert.False(t.IsEndOfGeneration(128006));
        Assert.Equal("", t.Decode([128006, 128009]));
        Assert.Equal("<|start_header_id|><|eot_id|>", t.Decode([128006, 128009], renderSpecial: true));
    }

    [SharedFact]
    public void UserDefinedTokensAlwaysMatch()
    {
        var t = Vocab("deepseek-llm");
        Assert.Equal(TokenAttributes.UserDefined, t.GetAttributes(100002));
        Assert.Equal("ø", t.TokenText(100002));
        Assert.Equal([100002], t.Encode("ø", addSpecial: false, parseSpecial: false));
        Assert.Equal([100002], t.Encode("ø", addSpecial: false, parseSpecial: true));
        // The control token <｜end▁of▁sentence｜> is only matched with parse_special.
        Assert.Equal([100001], t.Encode("<｜end▁of▁sentence｜>", addSpecial: false, parseSpecial: true));
        Assert.NotEqual([100001], t.Encode("<｜end▁of▁sentence｜>", addSpecial: false, parseSpecial: false));
    }

    [SharedFact]
    public void Phi3SpecialTokensEatFollowingWhitespace()
    {
        var t = Vocab("phi-3");
        // llama.cpp marks Phi-3's special tokens rstrip: the "\n" after <|end|> is dropped, and the text after
        // a special token starts a new SentencePiece fragment with its "▁" prefix.
        Assert.Equal([32007, .. t.Encode("Hi", false, false)], t.Encode("<|end|>\nHi", addSpecial: false, parseSpecial: true));
        Assert.True(t.IsEndOfGeneration(32007)); // <|end|>
        Assert.True(t.IsEndOfGeneration(32000)); // <|endoftext|> (EOS here)
    }

    [SharedFact]
    public void WordPieceAddsClsAndSep()
    {
        var t = Vocab("bert-bge");
        Assert.Equal(TokenizerKind.WordPiece, t.Kind);
        Assert.Equal(101, t.BosId);
        Assert.Equal(102, t.SepId);
        Assert.Equal([101, 7592, 2088, 102], t.Encode("Hello world", addSpecial: true, parseSpecial: false));
        Assert.Equal([7592, 2088], t.Encode("HELLO   world", addSpecial: false, parseSpecial: false));
        Assert.Equal([100], t.Encode("\u0E3F\u0E3F\u0E3F\u0E3F", addSpecial: false, parseSpecial: false).Distinct());
    }

    [SharedFact]
    public void StarcoderFimTokensAreControlAndEndGeneration()
    {
        var t = Vocab("starcoder");
        Assert.Equal(TokenAttributes.Control, t.GetAttributes(1)); // <fim_prefix>
        Assert.True(t.IsEndOfGeneration(0)); // <|endoftext|>
        Assert.True(t.IsEndOfGeneration(4)); // <fim_pad>
        Assert.False(t.IsEndOfGeneration(1));
        Assert.Equal([1, .. t.Encode("x", false, false)], t.Encode("<fim_prefix>x", addSpecial: false, parseSpecial: true));
    }
}
