using Hearth.Store;

namespace Hearth.Store.Tests.Store;

public class ModelCreatorTests
{
    [Fact]
    public void CreateFromFileThenLayerOnExistingModel()
    {
        using var t = new TempStore();
        var dir = Path.Combine(t.Root, "src");
        Directory.CreateDirectory(dir);
        File.Copy(TempStore.Gguf, Path.Combine(dir, "m.gguf"));
        var first = ModelCreator.Create(t.Store, "story", ModelfileParser.Parse("FROM ./m.gguf\nPARAMETER temperature 0.5\nPARAMETER top_k 7\nSYSTEM one"), dir);
        Assert.Equal("0.5", first.Parameters["temperature"]);
        Assert.Equal("one", first.System);
        Assert.Equal("apache-2.0", first.License);

        var derived = ModelCreator.Create(t.Store, "story:strict",
            ModelfileParser.Parse("FROM story\nPARAMETER temperature 0\nMESSAGE user hi\nMESSAGE assistant hello\nLICENSE mine"), dir);
        Assert.Equal(first.GgufPath, derived.GgufPath);
        Assert.Equal(new Dictionary<string, string> { ["temperature"] = "0", ["top_k"] = "7" }, derived.Parameters);
        Assert.Equal("one", derived.System);
        Assert.Equal("mine", derived.License);
        Assert.Equal([("user", "hi"), ("assistant", "hello")], derived.Messages);
        Assert.Equal("story:latest", t.Store.GetManifest("story:strict")!.Source);
    }

    [Fact]
    public void CreateFromBlobDigest()
    {
        using var t = new TempStore();
        t.AddModel("a");
        var b = ModelCreator.Create(t.Store, "b", ModelfileParser.Parse($"FROM @{EmbeddedModel.Digest}"), t.Root);
        Assert.Equal(TempStore.GgufSize, b.SizeBytes);
        Assert.Equal("Q8_0", b.QuantizationLevel);
    }

    [Theory]
    [InlineData("FROM ./missing.gguf", "no such file")]
    [InlineData("FROM sha256:abc", "not a sha256 digest")]
    public void BadFromIsALineNumberedError(string text, string fragment)
    {
        using var t = new TempStore();
        var e = Assert.Throws<ModelfileException>(() => ModelCreator.Create(t.Store, "x", ModelfileParser.Parse(text), t.Root));
        Assert.Equal(1, e.Line);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void NonGgufFileIsRejected()
    {
        using var t = new TempStore();
        var path = Path.Combine(t.Root, "notes.gguf");
        File.WriteAllText(path, "hello, this is not GGUF");
        var e = Assert.Throws<ModelStoreException>(() => ModelCreator.Create(t.Store, "x", ModelfileParser.Parse("FROM notes.gguf"), t.Root));
        Assert.StartsWith("not a usable GGUF file", e.Message);
        Assert.Empty(t.Store.List());
    }
}
