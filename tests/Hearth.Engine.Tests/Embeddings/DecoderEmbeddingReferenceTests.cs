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
        var cases = EncoderFixtures.Cases(name).Where(c => c.Ids.Length > 0).ToList(); // llama.cpp embeds nothing for ""
        using var file = GgufFile.Open(EncoderFixtures.ModelPath(name));
        using var backend = new CpuBackend(2);
        Assert.True(EncoderLoader.IsEncoder(file), "a decoder with a pooling type is an embedding model");
        using var model = new DecoderEmbeddingModel(DecoderModel.Load(file, backend), PoolingType.Last);
        var tokenizer = TokenizerFactory.FromGguf(file);
        Assert.Equal(64, model.Shape.OutputLength);

        var all = new List<int>();
        var lengths = new List<int>();
        foreach (var (text, ids, _) in cases)
        {
            Assert.Equal(ids, tokenizer.Encode(text, addSpecial: true, parseSpecial: false));
            all.AddRange(ids);
            lengths.Add(ids.Length);
        }
        int d = model.Shape.OutputLength;
        var batched = new float[cases.Count * d];
        model.Embed(all.ToArray(), lengths.ToArray(), batched);

        var alone = new float[d];
        float worst = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            model.Embed(cases[i].Ids, [cases[i].Ids.Length], alone);
            var inBatch = batched.AsSpan(i * d, d).ToArray();
            for (int j = 0; j < d; j++) Assert.True(Math.Abs(alone[j] - inBatch[j]) <= 1e-5f, $"case {i}: batched differs from alone at {j}");
            var mine = EncoderFixtures.Normalized(alone);
            var theirs = EncoderFixtures.Normalized(cases[i].Vector);
            for (int j = 0; j < d; j++) worst = Math.Max(worst, Math.Abs(mine[j] - theirs[j]));
        }
        Assert.True(worst <= EncoderFixtures.Tolerance, $"{name}: largest component difference {worst:E2} > {EncoderFixtures.Tolerance:E0}");
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
