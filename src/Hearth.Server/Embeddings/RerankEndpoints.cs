using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Core.Tokenizers;
using Hearth.Engine.Embeddings;
using Hearth.Server.Http;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Embeddings;

/// <summary>Reranking with a cross-encoder (rank pooling): POST /v1/rerank and /rerank in the Jina/Cohere shape
/// (query, documents as strings or {"text"}, top_n, return_documents; results sorted by relevance) and vLLM's
/// POST /score and /v1/score (text_1 against each text_2, or pairwise when both are lists of one length). A score is
/// sigmoid of the classifier's output, llama.cpp's rank score. All pairs of a request run in one pass.</summary>
public static class RerankEndpoints
{
    public const int MaxDocuments = 1024;

    public static async Task Rerank(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        string? modelName = args.String("model");
        string query = args.String("query") ?? throw ApiException.BadRequest("'query' is required", "query");
        var documents = Documents(args.Array("documents") ?? throw ApiException.BadRequest("'documents' is required", "documents"));
        int topN = args.Int("top_n", 1) ?? documents.Count;
        bool returnDocuments = args.Bool("return_documents") ?? false;

        var (lease, embedder, _) = await EmbeddingModels.AcquireAsync(ctx, modelName, ranking: true);
        using var _ = lease;
        var pairs = documents.Select(d => (query, d)).ToList();
        var (scores, tokens) = await ScoreAsync(ctx, lease.Model, embedder, pairs, "documents");

        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(topN);
        await JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", "rerank-" + RequestRecord.Of(ctx).Id);
            w.WriteString("model", lease.Model.Name);
            w.WriteString("object", "list");
            w.WriteStartArray("results");
            foreach (int i in order)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteNumber("relevance_score", scores[i]);
                if (returnDocuments)
                {
                    w.WriteStartObject("document");
                    w.WriteString("text", documents[i]);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteUsage(w, tokens);
            w.WriteEndObject();
        });
    }

    public static async Task Score(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        string? modelName = args.String("model");
        var first = args.StringOrArray("text_1") ?? throw ApiException.BadRequest("'text_1' is required", "text_1");
        var second = args.StringOrArray("text_2") ?? throw ApiException.BadRequest("'text_2' is required", "text_2");
        if (first.Count == 0 || second.Count == 0) throw ApiException.BadRequest("'text_1' and 'text_2' must not be empty", "text_2");
        if (second.Count > MaxDocuments) throw ApiException.BadRequest($"at most {MaxDocuments} texts may be scored per request", "text_2");
        List<(string, string)> pairs =
            first.Count == 1 ? second.Select(t => (first[0], t)).ToList()
            : first.Count == second.Count ? first.Zip(second).ToList()
            : throw ApiException.BadRequest($"'text_1' has {first.Count} texts and 'text_2' {second.Count}: give one text_1, or lists of one length", "text_1");

        var (lease, embedder, _) = await EmbeddingModels.AcquireAsync(ctx, modelName, ranking: true);
        using var _ = lease;
        var (scores, tokens) = await ScoreAsync(ctx, lease.Model, embedder, pairs, "text_2");
        await JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", "score-" + RequestRecord.Of(ctx).Id);
            w.WriteString("object", "list");
            w.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            w.WriteString("model", lease.Model.Name);
            w.WriteStartArray("data");
            for (int i = 0; i < scores.Length; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteString("object", "score");
                w.WriteNumber("score", scores[i]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteUsage(w, tokens);
            w.WriteEndObject();
        });
    }

    private static async Task<(double[] Scores, int Tokens)> ScoreAsync(HttpContext ctx, LoadedModel model, IEmbeddingEngine embedder,
        List<(string Query, string Document)> pairs, string field)
    {
        var inputs = new List<int[]>(pairs.Count);
        foreach (var (q, d) in pairs)
        {
            var ids = model.Rerank.Pair(model.Tokenizer, q, d);
            if (ids.Length > embedder.Shape.ContextLength)
                throw ApiException.BadRequest($"{field} item {inputs.Count}: query and document take {ids.Length} tokens, more than the model's context of {embedder.Shape.ContextLength}", field, "context_length_exceeded");
            inputs.Add(ids);
        }
        var outputs = await embedder.EmbedAsync(inputs, ctx.RequestAborted);
        return (outputs.Select(o => model.Rerank.Score(o)).ToArray(), inputs.Sum(i => i.Length));
    }

    private static List<string> Documents(JsonArray array)
    {
        if (array.Count == 0) throw ApiException.BadRequest("'documents' must not be empty", "documents");
        if (array.Count > MaxDocuments) throw ApiException.BadRequest($"'documents' has {array.Count} items; at most {MaxDocuments} are allowed", "documents");
        var list = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item?.GetValueKind() == JsonValueKind.String) list.Add(item.GetValue<string>());
            else if (item is JsonObject o && o["text"]?.GetValueKind() == JsonValueKind.String) list.Add(o["text"]!.GetValue<string>());
            else throw ApiException.BadRequest("each of 'documents' must be a string or an object with a 'text' string", "documents");
        }
        return list;
    }

    private static void WriteUsage(Utf8JsonWriter w, int tokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", tokens);
        w.WriteNumber("total_tokens", tokens);
        w.WriteEndObject();
    }
}
