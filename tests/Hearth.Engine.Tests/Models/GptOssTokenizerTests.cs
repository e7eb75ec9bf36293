using System.Text;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Store.Synthetic;

namespace Hearth.Engine.Tests.Models;

/// <summary>gpt-oss's harmony markers in its tokenizer, as llama.cpp treats them: &lt;|return|&gt; and &lt;|call|&gt; end
/// generation and &lt;|end|&gt; does not (it only closes the thinking message); the header markers and &lt;|end|&gt;
/// render as their text, so a streamed answer keeps the structure that <c>HarmonyParser</c> splits, and they are
/// matched in text even without special-token parsing (user-defined tokens).</summary>
public sealed class GptOssTokenizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-gptoss-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void HarmonyMarkersRenderAndOnlyReturnAndCallEndGeneration()
    {
        string path = Path.Combine(_dir, "tiny-gpt-oss.gguf");
        SyntheticModel.Write(path, "tiny-gpt-oss", GgmlType.F16, VocabLocator.Find(SyntheticPreset.Get("tiny-gpt-oss").DefaultVocab), seed: 1);
        var t = TokenizerFactory.FromGguf(path);
        string[] markers = ["<|return|>", "<|constrain|>", "<|channel|>", "<|start|>", "<|end|>", "<|message|>", "<|call|>"];
        var id = markers.ToDictionary(m => m, m => Assert.Single(t.Encode(m, addSpecial: false, parseSpecial: true)));
        Assert.Equal(Enumerable.Range(50257, 7), markers.Select(m => id[m]));
        Assert.True(t.IsEndOfGeneration(id["<|return|>"]));
        Assert.True(t.IsEndOfGeneration(id["<|call|>"]));
        Assert.True(t.IsEndOfGeneration(50256)); // <|endoftext|>
        foreach (var m in (string[])["<|end|>", "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"])
        {
            Assert.False(t.IsEndOfGeneration(id[m]), m);
            Assert.Equal(m, Encoding.UTF8.GetString(t.TokenBytes(id[m]))); // rendered without renderSpecial
        }
        Assert.Empty(t.TokenBytes(id["<|return|>"])); // a control token: hidden unless asked
        // User-defined: matched as one token even when special tokens are not parsed.
        int[] ids = t.Encode("<|channel|>final<|message|>Hi<|end|>", addSpecial: false, parseSpecial: false);
        Assert.Equal(id["<|channel|>"], ids[0]);
        Assert.Contains(id["<|message|>"], ids);
        Assert.Equal(id["<|end|>"], ids[^1]);
        Assert.Equal("<|channel|>final<|message|>Hi<|end|>", t.Decode(ids));
    }
}
