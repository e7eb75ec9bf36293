using Hearth.Core.Gguf;
using Hearth.Store.Synthetic;

namespace Hearth.Store.Tests.Store;

/// <summary>Ollama's ADAPTER instruction: the adapter file is checked (a LoRA adapter GGUF for FROM's architecture),
/// copied into the blobs, listed on the model, inherited by models made FROM it, kept while a manifest uses it and
/// removed with the last one.</summary>
public sealed class ModelfileAdapterTests
{
    [Fact]
    public void AdapterIsStoredWithTheModelAndCollectedWithIt()
    {
        using var t = new TempStore();
        var dir = Path.Combine(t.Root, "src");
        Directory.CreateDirectory(dir);
        // The committed tinystories model is a llama: a random adapter for it.
        SyntheticLora.Write(Path.Combine(dir, "lora.gguf"), TempStore.Gguf, new SyntheticLora.Options(4, 8, ["q", "v"], GgmlType.F32, 5));
        var m = ModelCreator.Create(t.Store, "story-lora", ModelfileParser.Parse("FROM " + TempStore.Gguf + "\nADAPTER ./lora.gguf"), dir);
        var blob = Assert.Single(m.AdapterPaths);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "lora.gguf")), File.ReadAllBytes(blob));

        var derived = ModelCreator.Create(t.Store, "story-lora:strict", ModelfileParser.Parse("FROM story-lora\nPARAMETER temperature 0"), dir);
        Assert.Equal(m.AdapterPaths, derived.AdapterPaths);
        Assert.True(t.Store.Delete("story-lora"));
        Assert.True(File.Exists(blob)); // still used by story-lora:strict
        Assert.True(t.Store.Delete("story-lora:strict"));
        Assert.False(File.Exists(blob));
    }

    [Fact]
    public void AdapterThatIsNotOneOrForAnotherArchitectureIsRefused()
    {
        using var t = new TempStore();
        var dir = Path.Combine(t.Root, "src");
        Directory.CreateDirectory(dir);
        string Error(string modelfile) =>
            Assert.Throws<ModelfileException>(() => ModelCreator.Create(t.Store, "x", ModelfileParser.Parse(modelfile), dir)).Message;

        Assert.Contains("ADAPTER ./missing.gguf: no such file", Error($"FROM {TempStore.Gguf}\nADAPTER ./missing.gguf"));
        Assert.Contains("not a LoRA adapter GGUF", Error($"FROM {TempStore.Gguf}\nADAPTER {TempStore.Gguf}"));
        string qwen = Path.Combine(dir, "qwen.gguf");
        SyntheticModel.Write(qwen, "tiny-qwen3", GgmlType.F32, VocabLocator.Find(SyntheticPreset.Get("tiny-qwen3").DefaultVocab));
        SyntheticLora.Write(Path.Combine(dir, "qwen-lora.gguf"), qwen, new SyntheticLora.Options(2, 0, ["q"], GgmlType.F32));
        Assert.Contains("the adapter is for 'qwen3' but FROM is a 'llama' model", Error($"FROM {TempStore.Gguf}\nADAPTER ./qwen-lora.gguf"));
        Assert.Null(t.Store.Find("x"));
    }
}
