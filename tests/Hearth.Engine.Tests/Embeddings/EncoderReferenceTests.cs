using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Models.Bert;

namespace Hearth.Engine.Tests.Embeddings;

/// <summary>Hearth's encoders against llama.cpp on the same GGUF files, for each architecture and pooling type:
/// token ids exactly, L2-normalised vectors within <see cref="EncoderFixtures.Tolerance"/> per component (random weights, F32;
/// the remaining difference is summation order in matmuls and attention), and a batch of all texts equal to each
/// text run alone.</summary>
public class EncoderReferenceTests
{
    public static TheoryData<string> EmbeddingModels() => new(EncoderFixtures.Models.Keys.Where(k => k != "tiny-bert-rerank" && EncoderFixtures.IsEncoder(k)));

    [Theory]
    [MemberData(nameof(EmbeddingModels))]
    public void EmbeddingsMatchLlamaCpp(string name)
    {
        using var file = GgufFile.Open(EncoderFixtures.ModelPath(name));
        using var backend = new CpuBackend(2);
        using var model = BertModel.Load(file, backend);
        EncoderFixtures.AssertMatchesLlamaCpp(name, model, TokenizerFactory.FromGguf(file));
    }

    /// <summary>A backend without encoder attention runs encoders through its paged attention (block size 1); both
    /// paths give llama.cpp's vectors (bert: learned positions; jina-bert-v2: ALiBi).</summary>
    [Theory]
    [InlineData("tiny-bert")]
    [InlineData("tiny-jina-bert-v2")]
    [InlineData("tiny-nomic-bert")]
    public void ThePagedAttentionFallbackMatchesLlamaCppToo(string name)
    {
        using var file = GgufFile.Open(EncoderFixtures.ModelPath(name));
        using var backend = new PagedOnlyBackend(new CpuBackend(2));
        using var model = BertModel.Load(file, backend);
        EncoderFixtures.AssertMatchesLlamaCpp(name, model, TokenizerFactory.FromGguf(file));
    }
}
