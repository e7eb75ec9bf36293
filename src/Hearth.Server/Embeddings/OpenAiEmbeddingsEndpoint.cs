using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Embeddings;

/// <summary>POST /v1/embeddings (OpenAI): input as a string, strings, token ids or arrays of token ids;
/// `encoding_format` float or base64; `dimensions` (Matryoshka: the first k components, renormalised);
/// `truncate_prompt_tokens` (vLLM: keep at most k tokens per input, -1 = the context). Vectors are L2-normalised.</summary>
public static class OpenAiEmbeddingsEndpoint
{
    /// <summary>Most inputs in one request (OpenAI's limit).</summary>
    public const int MaxInputs = 2048;

    public static async Task Handle(HttpContext ctx)
    {
        var args = await JsonArgs.ReadAsync(ctx);
        string? modelName = args.String("model");
        string format = args.String("encoding_format") ?? "float";
        if (format is not ("float" or "base64"))
            throw ApiException.BadRequest("'encoding_format' must be \"float\" or \"base64\"", "encoding_format");
        args.String("user");
        int? truncate = args.Int("truncate_prompt_tokens", -1);
        if (truncate == 0) throw ApiException.BadRequest("'truncate_prompt_tokens' must be -1 (the context) or at least 1", "truncate_prompt_tokens");

        var (lease, embedder, _) = await EmbeddingModels.AcquireAsync(ctx, modelName, ranking: false);
        using var _ = lease;
        var model = lease.Model;
        int? dimensions = EmbeddingVectors.Dimensions(args, embedder.Shape.OutputLength);
        var inputs = EmbeddingInputs.Parse(args.Object["input"], "input", model.Tokenizer, embedder.Shape.ContextLength,
            truncate is -1 ? embedder.Shape.ContextLength : truncate, MaxInputs);
        var vectors = await embedder.EmbedAsync(inputs, ctx.RequestAborted);
        int tokens = inputs.Sum(i => i.Length);

        await JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (int i = 0; i < vectors.Length; i++)
            {
                var v = EmbeddingVectors.Finish(vectors[i], dimensions, normalize: true);
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                if (format == "base64") w.WriteString("embedding", EmbeddingVectors.Base64(v));
                else EmbeddingVectors.WriteFloats(w, "embedding", v);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("model", model.Name);
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", tokens);
            w.WriteNumber("total_tokens", tokens);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }
}
