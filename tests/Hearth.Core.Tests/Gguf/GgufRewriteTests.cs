using Hearth.Core.Gguf;
using Hearth.Tests;

namespace Hearth.Core.Tests.Gguf;

/// <summary>Reading a llama.cpp-written GGUF and writing it back with <see cref="GgufWriter"/> gives the same bytes:
/// the writer's layout (value encoding, tensor infos, alignment, padding) is llama.cpp's.</summary>
public class GgufRewriteTests
{
    private static void AssertRewriteIsIdentical(string source)
    {
        string target = Path.Combine(Path.GetTempPath(), $"hearth-rewrite-{Guid.NewGuid():N}.gguf");
        try
        {
            using (var f = GgufFile.Open(source))
            {
                var w = new GgufWriter(f.Alignment);
                foreach (var (key, value) in f.Metadata) // file order: the reader adds keys in order
                    w.Set(key, value);
                foreach (var t in f.Tensors)
                {
                    var info = t;
                    w.AddTensor(t.Name, t.Type, t.Dimensions, (s, n) => s.Write(f.GetTensorBytes(info)));
                }
                w.Write(target);
            }
            byte[] expected = File.ReadAllBytes(source), actual = File.ReadAllBytes(target);
            Assert.Equal(expected.Length, actual.Length);
            int diff = expected.AsSpan().CommonPrefixLength(actual);
            Assert.True(diff == expected.Length, $"first difference at byte {diff}");
        }
        finally
        {
            File.Delete(target);
        }
    }

    [Fact]
    public void EmbeddedModelRewritesByteForByte() => AssertRewriteIsIdentical(TestPaths.EmbeddedModel);

    [SharedTheory]
    [InlineData("synthetic-llama-quant-tiny-q4_k_m.gguf")]
    [InlineData("synthetic-qwen2-tiny.gguf")]
    [InlineData("stories260K-f32.gguf")]
    public void SharedModelsRewriteByteForByte(string name) => AssertRewriteIsIdentical(TestPaths.SharedFile("models", name)!);
}
