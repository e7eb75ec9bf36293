using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;
using Hearth.Store.Hosting;

namespace Hearth.Engine.Tests.Embeddings;

/// <summary>Decoder embedding models (Qwen3-Embedding's architecture, last-token pooling) against llama.cpp on the same
/// GGUF: token ids exactly, L2-normalised vectors within <see cref="EncoderFixtures.Tolerance"/>, and a batch of all
/// texts equal to each alone (each sequence attends only to itself, causally).</summary>
public class DecoderEmbeddingReferenceTests
{
    [Fact]
    public void LastTokenEmbeddingsMatchLlamaCpp()
    {
        const string name = "tiny-qwen3-embed";
        using var file = GgufFile.Open(EncoderFixtures.ModelPath(name));
        using var backend = new CpuBackend(2);
        Assert.True(EncoderLoader.IsEncoder(file), "a decoder with a pooling type is an embedding model");
        using var model = new DecoderEmbeddingModel(DecoderModel.Load(file, backend), PoolingType.Last);
        Assert.Equal(64, model.Shape.OutputLength);
        EncoderFixtures.AssertMatchesLlamaCpp(name, model, TokenizerFactory.FromGguf(file), batchedTolerance: 1e-5f);
    }

    [Fact]
    public void OtherPoolingOnADecoderIsRefusedByName()
    {
        using var file = GgufFile.Open(EncoderFixtures.ModelPath("tiny-qwen3-embed"));
        using var backend = new CpuBackend(1);
        var decoder = DecoderModel.Load(file, backend);
        var e = Assert.Throws<NotSupportedException>(() => new DecoderEmbeddingModel(decoder, PoolingType.Mean));
        Assert.Contains("mean pooling", e.Message);
        decoder.Dispose();
    }
}
