using System.Diagnostics;
using System.Text.Json;
using Hearth.Server.Http;
using Hearth.Server.Ollama;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Embeddings;

/// <summary>Ollama's embedding API: POST /api/embed (input string or array, `truncate` default true, `dimensions`,
/// `keep_alive`, `options`; L2-normalised vectors) and the legacy POST /api/embeddings (one `prompt`, the raw vector).</summary>
public static class OllamaEmbedEndpoints
{
    public static async Task Embed(HttpContext ctx)
    {
        var start = Stopwatch.GetTimestamp();
        var args = await JsonArgs.ReadAsync(ctx);
        string? modelName = args.String("model");
        bool truncate = args.Bool("truncate") ?? true;
        var keepAlive = OllamaArgs.KeepAlive(args);
        OllamaArgs.Options(args.Obj("options"));

        var (lease, embedder, loadTime) = await EmbeddingModels.AcquireAsync(ctx, modelName, ranking: false, keepAlive);
        using var _ = lease;
        var model = lease.Model;
        int? dimensions = EmbeddingVectors.Dimensions(args, embedder.Shape.OutputLength);
        var node = args.Object["input"];
        if (node is not null && node.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Array))
            throw ApiException.BadRequest("'input' must be a string or an array of strings", "input");
        var inputs = EmbeddingInputs.Parse(node, "input", model.Tokenizer, embedder.Shape.ContextLength,
            truncate ? embedder.Shape.ContextLength : null, OpenAiEmbeddingsEndpoint.MaxInputs);
        var vectors = await embedder.EmbedAsync(inputs, ctx.RequestAborted);

        await JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("model", model.Name);
            w.WriteStartArray("embeddings");
            foreach (var v in vectors) EmbeddingVectors.WriteFloats(w, null, EmbeddingVectors.Finish(v, dimensions, normalize: true));
            w.WriteEndArray();
            w.WriteNumber("total_duration", (long)(Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1e6));
            w.WriteNumber("load_duration", (long)(loadTime.TotalMilliseconds * 1e6));
            w.WriteNumber("prompt_eval_count", inputs.Sum(i => i.Length));
            w.WriteEndObject();
        });
    }

    /// <summary>The legacy endpoint: `prompt` → {"embedding": [...]}, unnormalised (as Ollama); an empty prompt gives [].</summary>
    public static async Task Embeddings(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        string? modelName = args.String("model");
        string prompt = args.String("prompt") ?? "";
        var keepAlive = OllamaArgs.KeepAlive(args);
        OllamaArgs.Options(args.Obj("options"));

        var (lease, embedder, _) = await EmbeddingModels.AcquireAsync(ctx, modelName, ranking: false, keepAlive);
        using var _ = lease;
        float[] vector = [];
        if (prompt.Length > 0)
        {
            var inputs = EmbeddingInputs.Parse(System.Text.Json.Nodes.JsonValue.Create(prompt), "prompt", lease.Model.Tokenizer,
                embedder.Shape.ContextLength, embedder.Shape.ContextLength, 1);
            vector = (await embedder.EmbedAsync(inputs, ctx.RequestAborted))[0];
        }
        await JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            EmbeddingVectors.WriteFloats(w, "embedding", vector);
            w.WriteEndObject();
        });
    }
}
