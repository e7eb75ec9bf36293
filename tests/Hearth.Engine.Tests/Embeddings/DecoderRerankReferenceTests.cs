using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;
using Hearth.Store.Hosting;

namespace Hearth.Engine.Tests.Embeddings;

/// <summary>A decoder reranker (Qwen3-Reranker's layout: qwen3, rank pooling, a yes/no <c>cls.output</c> head, a rerank
/// prompt template) against llama.cpp on the same GGUF: the head's softmaxed outputs for plain texts, and for (query,
/// document) pairs formatted through the template as llama-server formats them — the same token ids, outputs within
/// <see cref="EncoderFixtures.Tolerance"/>, and all pairs in one pass equal to each alone.</summary>
public class DecoderRerankReferenceTests
{
    private const string Name = "tiny-qwen3-reranker";

    [Fact]
    public void HeadOutputsMatchLlamaCpp()
    {
        using var file = GgufFile.Open(EncoderFixtures.ModelPath(Name));
        using var backend = new CpuBackend(2);
        Assert.True(EncoderLoader.IsEncoder(file), "a decoder with rank pooling is served as an embedding model");
        using var model = new DecoderEmbeddingModel(DecoderModel.Load(file, backend), PoolingType.Rank, file);
        Assert.Equal(2, model.Shape.OutputLength);
        EncoderFixtures.AssertMatchesLlamaCpp(Name, model, TokenizerFactory.FromGguf(file), batchedTolerance: 1e-5f);
    }

    [Fact]
    public void TemplatedPairsScoreAsLlamaServer()
    {
        using var file = GgufFile.Open(EncoderFixtures.ModelPath(Name));
        using var backend = new CpuBackend(2);
        using var model = new DecoderEmbeddingModel(DecoderModel.Load(file, backend), PoolingType.Rank, file);
        var tokenizer = TokenizerFactory.FromGguf(file);
        var format = RerankInput.FromGguf(file);
        Assert.NotNull(format.Template);
        Assert.True(format.ScoreIsProbability);

        using var doc = EncoderFixtures.Load(Name, "rank");
        var root = doc.RootElement;
        Assert.Equal(format.Template, root.GetProperty("template").GetString());
        string query = root.GetProperty("query").GetString()!;
        var cases = root.GetProperty("documents").EnumerateArray().Select(d => (
            Text: d.GetProperty("text").GetString()!,
            Ids: d.GetProperty("input_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            Output: d.GetProperty("output").EnumerateArray().Select(x => x.GetSingle()).ToArray(),
            Score: d.GetProperty("score").GetDouble())).ToList();

        var all = new List<int>();
        foreach (var c in cases)
        {
            Assert.Equal(c.Ids, format.Pair(tokenizer, query, c.Text));
            all.AddRange(c.Ids);
        }
        var batched = new float[cases.Count * 2];
        model.Embed(all.ToArray(), cases.Select(c => c.Ids.Length).ToArray(), batched);
        var alone = new float[2];
        for (int i = 0; i < cases.Count; i++)
        {
            model.Embed(cases[i].Ids, [cases[i].Ids.Length], alone);
            for (int j = 0; j < 2; j++)
            {
                Assert.True(Math.Abs(batched[i * 2 + j] - alone[j]) <= 1e-5f, $"document {i}: batched {batched[i * 2 + j]} vs alone {alone[j]}");
                Assert.True(Math.Abs(alone[j] - cases[i].Output[j]) <= EncoderFixtures.Tolerance, $"document {i} output {j}: {alone[j]} vs llama.cpp {cases[i].Output[j]}");
            }
            Assert.Equal(cases[i].Score, format.Score(alone), EncoderFixtures.Tolerance);
        }
    }

    [Fact]
    public void RankPoolingWithoutAHeadIsRefusedByName()
    {
        using var file = GgufFile.Open(EncoderFixtures.ModelPath("tiny-qwen3-embed"));
        using var backend = new CpuBackend(1);
        var decoder = DecoderModel.Load(file, backend);
        var e = Assert.Throws<NotSupportedException>(() => new DecoderEmbeddingModel(decoder, PoolingType.Rank, file));
        Assert.Contains("cls.output.weight", e.Message);
        decoder.Dispose();
    }

    [Fact]
    public void TemplateReplacesQueryThenDocumentEverywhere()
    {
        var format = new RerankInput("<q>{query}</q><d>{document}</d><q>{query}</q>", ScoreIsProbability: true);
        var tokenizer = new EchoTokenizer();
        format.Pair(tokenizer, "a {document} b", "$& c");
        // As llama.cpp's string_replace_all in sequence: a "{document}" inside the query is then replaced too.
        Assert.Equal("<q>a $& c b</q><d>$& c</d><q>a $& c b</q>", tokenizer.Last);
        Assert.Equal(0.25, format.Score([0.25f, 0.75f]));
        Assert.Equal(1 / (1 + Math.Exp(-0.5)), RerankInput.Default.Score([0.5f]), 1e-12);
    }

    /// <summary>Records the text it is asked to encode (with special tokens parsed and none added) and returns no ids.</summary>
    private sealed class EchoTokenizer : ITokenizer
    {
        public string? Last { get; private set; }
        public int VocabSize => 0;
        public int? BosId => null;
        public int? EosId => null;
        public bool AddBos => false;
        public bool AddEos => false;
        public int[] Encode(string text, bool addSpecial, bool parseSpecial)
        {
            Assert.False(addSpecial);
            Assert.True(parseSpecial);
            Last = text;
            return [];
        }
        public byte[] TokenBytes(int tokenId, bool renderSpecial = false) => [];
        public string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false) => "";
        public bool IsEndOfGeneration(int tokenId) => false;
        public string TokenText(int tokenId) => "";
    }
}
