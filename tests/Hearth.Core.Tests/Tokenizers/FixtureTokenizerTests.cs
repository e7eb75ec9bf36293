using System.Text;
using Hearth.Core.Tokenizers;
using Hearth.Tests;

namespace Hearth.Core.Tests.Tokenizers;

/// <summary>Tests over the vocabularies committed in tests/fixtures/vocab (no ../shared needed).</summary>
public class FixtureTokenizerTests
{
    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, "vocab", $"ggml-vocab-{name}.gguf");
    private static GgufTokenizer Spm => (GgufTokenizer)VocabTestFile.TokenizerFor(Fixture("llama-spm"));
    private static GgufTokenizer Gpt2 => (GgufTokenizer)VocabTestFile.TokenizerFor(Fixture("gpt-2"));

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("gpt-2")]
    public void FixtureVectorsMatchExactly(string name)
    {
        var file = VocabTestFile.Load(Fixture(name));
        Assert.Equal(46, file.Texts.Length);
        Assert.Equal("", file.Mismatches(VocabTestFile.TokenizerFor(file.GgufPath)));
    }

    [Fact]
    public void SentencePieceMetadataAndDefaults()
    {
        var t = Spm;
        Assert.Equal(TokenizerKind.SentencePiece, t.Kind);
        Assert.Equal(32000, t.VocabSize);
        Assert.Equal(1, t.BosId);
        Assert.Equal(2, t.EosId);
        Assert.True(t.AddBos);
        Assert.False(t.AddEos);
        Assert.Equal([1, 15043, 3186], t.Encode("Hello world", addSpecial: true, parseSpecial: false));
        Assert.Equal([15043, 3186], t.Encode("Hello world", addSpecial: false, parseSpecial: false));
        Assert.Equal([1], t.Encode("", addSpecial: true, parseSpecial: false));
        Assert.Empty(t.Encode("", addSpecial: false, parseSpecial: false));
        Assert.True(t.IsEndOfGeneration(2));
        Assert.False(t.IsEndOfGeneration(1));
        Assert.False(t.IsEndOfGeneration(15043));
        Assert.Equal("▁Hello", t.TokenText(15043));
        Assert.Equal(TokenAttributes.Byte, t.GetAttributes(13));
    }

    [Fact]
    public void ByteLevelMetadataAndDefaults()
    {
        var t = Gpt2;
        Assert.Equal(TokenizerKind.BytePair, t.Kind);
        Assert.Equal("gpt-2", t.PreTokenizer);
        Assert.Equal(50257, t.VocabSize);
        Assert.Equal(50256, t.BosId);
        Assert.Equal(50256, t.EosId);
        Assert.False(t.AddBos); // llama.cpp's default for the gpt-2 pre-tokenizer
        Assert.Equal([15496, 995], t.Encode("Hello world", addSpecial: true, parseSpecial: false));
        Assert.True(t.IsEndOfGeneration(50256));
        Assert.False(t.IsEndOfGeneration(15496));
    }

    [Fact]
    public void ControlTokensInTextAreMatchedOnlyWithParseSpecial()
    {
        var t = Gpt2;
        int[] plain = t.Encode("a<|endoftext|>b", addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(50256, plain);
        Assert.Equal("a<|endoftext|>b", t.Decode(plain));
        int[] parsed = t.Encode("a<|endoftext|>b", addSpecial: false, parseSpecial: true);
        Assert.Equal([.. t.Encode("a", false, false), 50256, .. t.Encode("b", false, false)], parsed);
        Assert.Equal([50256], t.Encode("<|endoftext|>", addSpecial: false, parseSpecial: true));
    }

    [Fact]
    public void SentencePieceAddsDummyPrefixAfterSpecialTokens()
    {
        var t = Spm;
        // "</s>" is a control token: as text it is split into ordinary pieces ...
        int[] plain = t.Encode("Hi</s>there", addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(2, plain);
        Assert.Equal(" Hi</s>there", t.Decode(plain));
        // ... parsed, it is one token, and the text after it gets the "▁" prefix again (llama.cpp does this).
        int[] parsed = t.Encode("Hi</s>there", addSpecial: false, parseSpecial: true);
        Assert.Equal([.. t.Encode("Hi", false, false), 2, .. t.Encode("there", false, false)], parsed);
    }

    [Fact]
    public void TokenBytesFollowTokenTypes()
    {
        var t = Spm;
        Assert.Equal(" Hello"u8.ToArray(), t.TokenBytes(15043));
        Assert.Equal([0x0A], t.TokenBytes(13)); // <0x0A>
        Assert.Empty(t.TokenBytes(2)); // </s> is control: nothing unless rendered
        Assert.Equal("</s>"u8.ToArray(), t.TokenBytes(2, renderSpecial: true));
        Assert.Equal("Hello world</s>", t.Decode([15043, 3186, 2], renderSpecial: true).TrimStart());
        Assert.Equal(" Hello"u8.ToArray(), Gpt2.TokenBytes(18435)); // "ĠHello": GPT-2 byte characters
        Assert.Throws<ArgumentOutOfRangeException>(() => t.TokenBytes(32000));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.TokenText(-1));
    }

    [Fact]
    public void StreamingDetokenizerHoldsBackPartialCharacters()
    {
        var t = Spm;
        int[] ids = t.Encode("🦙!", addSpecial: false, parseSpecial: false);
        // "▁" then the llama's four UTF-8 bytes as byte tokens, then "!".
        Assert.Equal([29871, 243, 162, 169, 156, 29991], ids);
        var stream = new StreamingDetokenizer(t);
        Assert.Equal([" ", "", "", "", "🦙", "!"], ids.Select(stream.Add).ToArray());
        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void StreamingDetokenizerReplacesIncompleteAndInvalidBytes()
    {
        var t = Spm;
        var stream = new StreamingDetokenizer(t);
        Assert.Equal("", stream.Add(0xE6 + 3)); // <0xE6>: first byte of a three-byte character
        Assert.Equal("\uFFFD", stream.Flush()); // the stream ended inside the character
        Assert.Equal("", stream.Add(0xE6 + 3));
        Assert.Equal("\uFFFDA", stream.Add(0x41 + 3)); // <0x41> cannot continue it: replaced, then "A"
        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void StreamingEqualsWholeDecodeForEveryFixtureCase()
    {
        foreach (var name in (string[])["llama-spm", "gpt-2"])
        {
            var file = VocabTestFile.Load(Fixture(name));
            var t = VocabTestFile.TokenizerFor(file.GgufPath);
            foreach (var ids in file.Expected)
            {
                var stream = new StreamingDetokenizer(t);
                var sb = new StringBuilder();
                foreach (int id in ids)
                {
                    string part = stream.Add(id);
                    Assert.False(part.Length > 0 && char.IsHighSurrogate(part[^1]), "a surrogate pair was split");
                    sb.Append(part);
                }
                sb.Append(stream.Flush());
                Assert.Equal(t.Decode(ids), sb.ToString());
            }
        }
    }

    [Fact]
    public void FixtureRoundTripIsLossless()
    {
        foreach (var name in (string[])["llama-spm", "gpt-2"])
        {
            var file = VocabTestFile.Load(Fixture(name));
            var t = (GgufTokenizer)VocabTestFile.TokenizerFor(file.GgufPath);
            foreach (var text in file.Texts)
            {
                string expected = t.Kind == TokenizerKind.SentencePiece && text.Length > 0 ? " " + text : text;
                Assert.Equal(expected, t.Decode(t.Encode(text, false, false)));
            }
        }
    }

    [Fact]
    public void ConcurrentEncodesGiveTheSameIds()
    {
        var file = VocabTestFile.Load(Fixture("gpt-2"));
        var spm = VocabTestFile.Load(Fixture("llama-spm"));
        var gpt2 = VocabTestFile.TokenizerFor(file.GgufPath);
        var llama = VocabTestFile.TokenizerFor(spm.GgufPath);
        // 4 threads x all cases x 3 rounds, sharing the tokenizers and their piece caches.
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < file.Texts.Length; i++)
                {
                    Assert.Equal(file.Expected[i], gpt2.Encode(file.Texts[i], false, false));
                    Assert.Equal(spm.Expected[i], llama.Encode(spm.Texts[i], false, false));
                }
            }
        });
    }
}
