using Hearth.Store;

namespace Hearth.Store.Tests.Store;

public class ModelNameTests
{
    [Theory]
    [InlineData("llama3", "llama3", "latest")]
    [InlineData("llama3:8b", "llama3", "8b")]
    [InlineData("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M")]
    [InlineData("hf.co/owner/repo", "hf.co/owner/repo", "latest")]
    [InlineData("  tinystories  ", "tinystories", "latest")]
    [InlineData("my.model_v2-x:v1.0", "my.model_v2-x", "v1.0")]
    public void ParsesNameAndTag(string text, string path, string tag)
    {
        var name = ModelName.Parse(text);
        Assert.Equal(path, name.Path);
        Assert.Equal(tag, name.Tag);
        Assert.Equal($"{path}:{tag}", name.ToString());
    }

    [Theory]
    [InlineData("", "model name is empty")]
    [InlineData("llama:", "the tag after ':' is empty")]
    [InlineData("../etc/passwd", "part '..'")]
    [InlineData("a/b/c/d/e", "at most 4")]
    [InlineData("bad name", "part 'bad name'")]
    [InlineData("x:t@g", "tag 't@g'")]
    public void RejectsMalformedNames(string text, string fragment)
    {
        var e = Assert.Throws<InvalidModelNameException>(() => ModelName.Parse(text));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void HuggingFaceNamesAreRecognised()
    {
        Assert.True(ModelName.Parse("hf.co/a/b:Q8_0").IsHuggingFace);
        Assert.True(ModelName.Parse("huggingface.co/a/b").IsHuggingFace);
        Assert.False(ModelName.Parse("hfco/a").IsHuggingFace);
    }
}
