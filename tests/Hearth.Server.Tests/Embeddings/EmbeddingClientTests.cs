using System.ClientModel;
using Hearth.Engine.Tests.Embeddings;
using OllamaSharp;
using OllamaSharp.Models;
using OpenAI;
using OpenAI.Embeddings;

namespace Hearth.Server.Tests.Embeddings;

/// <summary>Real clients (the OpenAI .NET SDK's embedding client, OllamaSharp's embed call) read Hearth's embeddings,
/// and the vectors are llama.cpp's for the same GGUF (tests/fixtures/embeddings/tiny-bert.embed.json).</summary>
public sealed class EmbeddingClientTests(EmbeddingHost host) : IClassFixture<EmbeddingHost>
{
    private static readonly List<(string Text, int[] Ids, float[] Vector)> Reference = EncoderFixtures.Cases("tiny-bert");
    private const float Tolerance = EncoderFixtures.Tolerance;

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"component {i}: {actual[i]} vs llama.cpp {expected[i]}");
    }

    private EmbeddingClient OpenAi() => new("tiny-bert", new ApiKeyCredential("unused"),
        new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1"), NetworkTimeout = TimeSpan.FromSeconds(20) });

    [Fact]
    public async Task OpenAiSdk_ReadsNormalisedVectorsEqualToLlamaCpp()
    {
        var texts = Reference.Take(6).ToList();
        OpenAIEmbeddingCollection result = await OpenAi().GenerateEmbeddingsAsync(texts.Select(t => t.Text).ToList());
        Assert.Equal(texts.Count, result.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(i, result[i].Index);
            AssertClose(EncoderFixtures.Normalized(texts[i].Vector), result[i].ToFloats().Span);
        }
        Assert.Equal(texts.Sum(t => t.Ids.Length), result.Usage.InputTokenCount);
        Assert.Equal(texts.Sum(t => t.Ids.Length), result.Usage.TotalTokenCount);
        Assert.Equal("tiny-bert:latest", result.Model);
    }

    [Fact]
    public async Task OpenAiSdk_Dimensions_TruncatesAndRenormalises()
    {
        var (text, _, vector) = Reference[1];
        OpenAIEmbedding e = await OpenAi().GenerateEmbeddingAsync(text, new EmbeddingGenerationOptions { Dimensions = 16 });
        AssertClose(EncoderFixtures.Normalized(vector.AsSpan(0, 16)), e.ToFloats().Span);
    }

    [Fact]
    public async Task OllamaSharp_EmbedReadsVectorsEqualToLlamaCpp()
    {
        var client = new OllamaApiClient(new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(20) }, "tiny-bert");
        var texts = Reference.Skip(4).Take(5).ToList();
        EmbedResponse r = await client.EmbedAsync(new EmbedRequest { Model = "tiny-bert", Input = texts.Select(t => t.Text).ToList() });
        Assert.Equal(texts.Count, r.Embeddings.Count);
        for (int i = 0; i < texts.Count; i++) AssertClose(EncoderFixtures.Normalized(texts[i].Vector), r.Embeddings[i]);
        Assert.Equal(texts.Sum(t => t.Ids.Length), r.PromptEvalCount);
        Assert.True(r.TotalDuration > 0);
    }
}
