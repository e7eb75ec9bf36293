using System.Text.Json.Nodes;
using Hearth.Engine.Tests.Embeddings;

namespace Hearth.Server.Tests.Embeddings;

/// <summary>The embedding and rerank endpoints over raw HTTP: input forms, formats, truncation, limits, the 400s
/// for the wrong kind of model, and rerank scores equal to llama.cpp's.</summary>
public sealed class EmbeddingApiTests(EmbeddingHost host) : IClassFixture<EmbeddingHost>
{
    private static float[] Floats(JsonNode? a) => a!.AsArray().Select(x => x!.GetValue<float>()).ToArray();

    [Fact]
    public async Task OpenAi_TokenIdsAndArraysOfThemEqualText()
    {
        var (text, ids, _) = EncoderFixtures.Cases("tiny-bert")[1];
        var byText = await Http.PostAsync(host.Http, "v1/embeddings", $$"""{"model":"tiny-bert","input":{{JsonValue.Create(text).ToJsonString()}}}""");
        var byIds = await Http.PostAsync(host.Http, "v1/embeddings", $$"""{"model":"tiny-bert","input":[{{string.Join(',', ids)}}]}""");
        var byLists = await Http.PostAsync(host.Http, "v1/embeddings", $$"""{"model":"tiny-bert","input":[[{{string.Join(',', ids)}}],[{{string.Join(',', ids)}}]],"encoding_format":"float"}""");
        Assert.Equal(200, byText.Status);
        Assert.Equal(200, byIds.Status);
        Assert.Equal(200, byLists.Status);
        var expected = Floats(byText.Body!["data"]![0]!["embedding"]);
        Assert.Equal(expected, Floats(byIds.Body!["data"]![0]!["embedding"]));
        Assert.Equal(2, byLists.Body!["data"]!.AsArray().Count);
        Assert.Equal(expected, Floats(byLists.Body!["data"]![1]!["embedding"]));
        Assert.Equal(2 * ids.Length, byLists.Body!["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal("list", byText.Body!["object"]!.GetValue<string>());
        Assert.Equal("embedding", byText.Body!["data"]![0]!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task ADecoderEmbeddingModelAnswersWithLlamaCppsLastTokenVectors()
    {
        var cases = EncoderFixtures.Cases("tiny-qwen3-embed").Where(c => c.Ids.Length > 0).Take(4).ToList();
        var input = new JsonArray(cases.Select(c => (JsonNode)JsonValue.Create(c.Text)!).ToArray());
        var res = await Http.PostAsync(host.Http, "v1/embeddings", $$"""{"model":"tiny-qwen3-embed","input":{{input.ToJsonString()}}}""");
        Assert.Equal(200, res.Status);
        for (var i = 0; i < cases.Count; i++)
        {
            var mine = Floats(res.Body!["data"]![i]!["embedding"]);
            var theirs = EncoderFixtures.Normalized(cases[i].Vector);
            Assert.Equal(theirs.Length, mine.Length);
            for (var j = 0; j < mine.Length; j++) Assert.True(Math.Abs(mine[j] - theirs[j]) <= EncoderFixtures.Tolerance, $"input {i} component {j}: {mine[j]} vs {theirs[j]}");
        }
        Assert.Equal(cases.Sum(c => c.Ids.Length), res.Body!["usage"]!["prompt_tokens"]!.GetValue<int>());

        // It embeds; it does not generate.
        var chat = await Http.PostAsync(host.Http, "v1/chat/completions", """{"model":"tiny-qwen3-embed","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(400, chat.Status);
    }

    [Fact]
    public async Task EmbeddingWorkShowsInMetrics()
    {
        var cases = EncoderFixtures.Cases("tiny-bert").Where(c => c.Ids.Length > 0).Take(3).ToList();
        var input = new JsonArray(cases.Select(c => (JsonNode)JsonValue.Create(c.Text)!).ToArray());
        var before = Metric(await host.Http.GetStringAsync("metrics"), "hearth:embedding_inputs_total");
        var res = await Http.PostAsync(host.Http, "v1/embeddings", $$"""{"model":"tiny-bert","input":{{input.ToJsonString()}}}""");
        Assert.Equal(200, res.Status);
        var text = await host.Http.GetStringAsync("metrics");
        Assert.True(Metric(text, "hearth:embedding_inputs_total") >= before + 3, text);
        Assert.True(Metric(text, "hearth:embedding_tokens_total") >= cases.Sum(c => c.Ids.Length));
        Assert.True(Metric(text, "hearth:embedding_forward_passes_total") >= 1);
        Assert.Contains("hearth:embedding_inputs_waiting{model_name=\"tiny-bert:latest\"}", text);
    }

    /// <summary>The value of a metric's tiny-bert series (0 when absent).</summary>
    private static double Metric(string text, string name)
    {
        var prefix = name + "{model_name=\"tiny-bert:latest\"} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task OpenAi_Base64IsTheLittleEndianFloats()
    {
        var f = await Http.PostAsync(host.Http, "v1/embeddings", """{"model":"tiny-bert","input":"Hello world"}""");
        var b = await Http.PostAsync(host.Http, "v1/embeddings", """{"model":"tiny-bert","input":"Hello world","encoding_format":"base64"}""");
        var bytes = Convert.FromBase64String(b.Body!["data"]![0]!["embedding"]!.GetValue<string>());
        Assert.Equal(Floats(f.Body!["data"]![0]!["embedding"]), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    [Theory]
    [InlineData("v1/embeddings", """{"model":"fake","input":"hi"}""", "model", "model_not_supported")]
    [InlineData("v1/embeddings", """{"model":"tiny-rerank","input":"hi"}""", "model", "model_not_supported")]
    [InlineData("v1/rerank", """{"model":"tiny-bert","query":"q","documents":["d"]}""", "model", "model_not_supported")]
    [InlineData("v1/chat/completions", """{"model":"tiny-bert","messages":[{"role":"user","content":"hi"}]}""", "model", null)]
    [InlineData("v1/completions", """{"model":"tiny-bert","prompt":"hi"}""", "model", null)]
    [InlineData("v1/embeddings", """{"model":"tiny-bert","input":"hi","encoding_format":"int8"}""", "encoding_format", null)]
    [InlineData("v1/embeddings", """{"model":"tiny-bert","input":"hi","dimensions":65}""", "dimensions", null)]
    [InlineData("v1/embeddings", """{"model":"tiny-bert","input":[]}""", "input", null)]
    [InlineData("v1/embeddings", """{"model":"tiny-bert","input":[1,-2]}""", "input", null)]
    [InlineData("v1/embeddings", """{"model":"tiny-bert","input":{"a":1}}""", "input", null)]
    [InlineData("v1/embeddings", """{"model":"tiny-bert"}""", "input", null)]
    [InlineData("v1/rerank", """{"model":"tiny-rerank","query":"q","documents":[]}""", "documents", null)]
    [InlineData("v1/rerank", """{"model":"tiny-rerank","query":"q","documents":[3]}""", "documents", null)]
    [InlineData("score", """{"model":"tiny-rerank","text_1":["a","b"],"text_2":["c","d","e"]}""", "text_1", null)]
    public async Task BadRequestsAreClear400s(string path, string body, string param, string? code)
    {
        var (status, json, _) = await Http.PostAsync(host.Http, path, body);
        Assert.Equal(400, status);
        Http.AssertOpenAiError(json, param, code);
    }

    [Fact]
    public async Task TooLongInput_Is400_UnlessTruncationIsAsked()
    {
        string text = string.Join(' ', Enumerable.Repeat("word", 600)); // 602 tokens; the context is 512
        var refused = await Http.PostAsync(host.Http, "v1/embeddings", $$"""{"model":"tiny-bert","input":"{{text}}"}""");
        Assert.Equal(400, refused.Status);
        Http.AssertOpenAiError(refused.Body, "input", "context_length_exceeded");
        var truncated = await Http.PostAsync(host.Http, "v1/embeddings", $$"""{"model":"tiny-bert","input":"{{text}}","truncate_prompt_tokens":-1}""");
        Assert.Equal(200, truncated.Status);
        Assert.Equal(512, truncated.Body!["usage"]!["prompt_tokens"]!.GetValue<int>());

        var ollama = await Http.PostAsync(host.Http, "api/embed", $$"""{"model":"tiny-bert","input":"{{text}}"}""");
        Assert.Equal(200, ollama.Status); // Ollama truncates by default
        Assert.Equal(512, ollama.Body!["prompt_eval_count"]!.GetValue<int>());
        var noTruncate = await Http.PostAsync(host.Http, "api/embed", $$"""{"model":"tiny-bert","input":"{{text}}","truncate":false}""");
        Assert.Equal(400, noTruncate.Status);
        Assert.Contains("context", noTruncate.Body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task OllamaLegacyEmbeddings_GiveTheRawVector()
    {
        var (text, _, vector) = EncoderFixtures.Cases("tiny-bert")[0];
        var r = await Http.PostAsync(host.Http, "api/embeddings", new JsonObject { ["model"] = "tiny-bert", ["prompt"] = text, ["keep_alive"] = "5m", ["options"] = new JsonObject { ["temperature"] = 0 } }.ToJsonString());
        Assert.Equal(200, r.Status);
        var raw = Floats(r.Body!["embedding"]);
        for (int i = 0; i < vector.Length; i++) Assert.True(Math.Abs(raw[i] - vector[i]) <= 1e-3f * Math.Max(1, Math.Abs(vector[i])));
        var empty = await Http.PostAsync(host.Http, "api/embeddings", """{"model":"tiny-bert","prompt":""}""");
        Assert.Empty(empty.Body!["embedding"]!.AsArray());
        var gen = await Http.PostAsync(host.Http, "api/embed", """{"model":"fake","input":"hi"}""");
        Assert.Equal(400, gen.Status);
        Assert.Contains("generation model", gen.Body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rerank_DecoderRerankerWithPromptTemplateScoresAsLlamaServer()
    {
        using var doc = EncoderFixtures.Load("tiny-qwen3-reranker", "rank");
        string query = doc.RootElement.GetProperty("query").GetString()!;
        var docs = doc.RootElement.GetProperty("documents").EnumerateArray()
            .Select(d => (Text: d.GetProperty("text").GetString()!, Score: d.GetProperty("score").GetDouble(),
                Ids: d.GetProperty("input_ids").GetArrayLength())).ToList();
        var body = new JsonObject
        {
            ["model"] = "tiny-qwen3-reranker", ["query"] = query,
            ["documents"] = new JsonArray(docs.Select(d => (JsonNode)JsonValue.Create(d.Text)!).ToArray()),
        };
        var (status, json, _) = await Http.PostAsync(host.Http, "v1/rerank", body.ToJsonString());
        Assert.Equal(200, status);
        var results = json!["results"]!.AsArray();
        Assert.Equal(docs.Count, results.Count);
        foreach (var r in results)
        {
            int i = r!["index"]!.GetValue<int>();
            Assert.Equal(docs[i].Score, r["relevance_score"]!.GetValue<double>(), 1e-4);
        }
        // The usage counts the rendered template's tokens, as llama.cpp tokenized them.
        Assert.Equal(docs.Sum(d => d.Ids), json["usage"]!["total_tokens"]!.GetValue<int>());
        var embed = await Http.PostAsync(host.Http, "v1/embeddings", """{"model":"tiny-qwen3-reranker","input":"hi"}""");
        Assert.Equal(400, embed.Status);
        Assert.Contains("reranker", embed.Body!["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rerank_ScoresEqualLlamaCppSortedWithTopN()
    {
        using var doc = EncoderFixtures.Load("tiny-bert-rerank", "rank");
        string query = doc.RootElement.GetProperty("query").GetString()!;
        var docs = doc.RootElement.GetProperty("documents").EnumerateArray()
            .Select(d => (Text: d.GetProperty("text").GetString()!, Score: d.GetProperty("score").GetDouble(),
                Ids: d.GetProperty("input_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray())).ToList();
        var body = new JsonObject
        {
            ["model"] = "tiny-rerank", ["query"] = query, ["top_n"] = 3, ["return_documents"] = true,
            ["documents"] = new JsonArray(docs.Select((d, i) => i % 2 == 0 ? (JsonNode)JsonValue.Create(d.Text) : new JsonObject { ["text"] = d.Text }).ToArray()),
        };
        foreach (var path in new[] { "v1/rerank", "rerank" })
        {
            var (status, json, _) = await Http.PostAsync(host.Http, path, body.ToJsonString());
            Assert.Equal(200, status);
            var results = json!["results"]!.AsArray();
            Assert.Equal(3, results.Count);
            var expectedOrder = docs.Select((d, i) => (d.Score, i)).OrderByDescending(x => x.Score).ThenBy(x => x.i).Take(3).Select(x => x.i);
            Assert.Equal(expectedOrder, results.Select(r => r!["index"]!.GetValue<int>()));
            foreach (var r in results)
            {
                int i = r!["index"]!.GetValue<int>();
                Assert.Equal(docs[i].Score, r["relevance_score"]!.GetValue<double>(), 1e-5);
                Assert.Equal(docs[i].Text, r["document"]!["text"]!.GetValue<string>());
            }
            Assert.Equal(docs.Sum(d => d.Ids.Length), json["usage"]!["total_tokens"]!.GetValue<int>());
        }
        var score = await Http.PostAsync(host.Http, "score", new JsonObject
        {
            ["model"] = "tiny-rerank", ["text_1"] = query, ["text_2"] = new JsonArray(docs.Select(d => (JsonNode)JsonValue.Create(d.Text)!).ToArray()),
        }.ToJsonString());
        Assert.Equal(200, score.Status);
        var data = score.Body!["data"]!.AsArray();
        for (int i = 0; i < docs.Count; i++) Assert.Equal(docs[i].Score, data[i]!["score"]!.GetValue<double>(), 1e-5);
    }

    [Fact]
    public async Task ConcurrentRequests_ShareBatchesAndEqualAlone()
    {
        var cases = EncoderFixtures.Cases("tiny-bert").Take(12).ToList();
        var alone = new List<float[]>();
        foreach (var c in cases)
        {
            var r = await Http.PostAsync(host.Http, "v1/embeddings", new JsonObject { ["model"] = "tiny-bert", ["input"] = c.Text }.ToJsonString());
            alone.Add(Floats(r.Body!["data"]![0]!["embedding"]));
        }
        long passesBefore = host.Bert.Embedder!.GetStats().ForwardPassesTotal;
        var together = await Task.WhenAll(cases.Select(c => Http.PostAsync(host.Http, "v1/embeddings",
            new JsonObject { ["model"] = "tiny-bert", ["input"] = new JsonArray(JsonValue.Create(c.Text), JsonValue.Create(c.Text)) }.ToJsonString())));
        for (int i = 0; i < cases.Count; i++)
        {
            Assert.Equal(alone[i], Floats(together[i].Body!["data"]![0]!["embedding"]));
            Assert.Equal(alone[i], Floats(together[i].Body!["data"]![1]!["embedding"]));
        }
        Assert.True(host.Bert.Embedder.GetStats().ForwardPassesTotal - passesBefore < 2 * cases.Count);
    }
}
