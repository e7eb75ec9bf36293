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
    private const float Tolerance = EncoderFixtures.Tolerance;

    public static TheoryData<string> EmbeddingModels() => new(EncoderFixtures.Models.Keys.Where(k => k != "tiny-bert-rerank" && EncoderFixtures.IsEncoder(k)));

    [Theory]
    [MemberData(nameof(EmbeddingModels))]
    public void EmbeddingsMatchLlamaCpp(string name)
    {
        var cases = EncoderFixtures.Cases(name);
        using var file = GgufFile.Open(EncoderFixtures.ModelPath(name));
        using var backend = new CpuBackend(2);
        using var model = BertModel.Load(file, backend);
        var tokenizer = TokenizerFactory.FromGguf(file);

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
            Assert.Equal(alone, batched.AsSpan(i * d, d).ToArray());
            var mine = EncoderFixtures.Normalized(alone);
            var theirs = EncoderFixtures.Normalized(cases[i].Vector);
            for (int j = 0; j < d; j++) worst = Math.Max(worst, Math.Abs(mine[j] - theirs[j]));
        }
        Assert.True(worst <= Tolerance, $"{name}: largest component difference {worst:E2} > {Tolerance:E0}");
    }
}
