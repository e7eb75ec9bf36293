using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Core.Tokenizers;
using Hearth.Server.Http;

namespace Hearth.Server.Embeddings;

/// <summary>Turns the `input` of an embedding request into token sequences: a string, an array of strings, an array
/// of token ids or an array of such arrays (OpenAI's four forms; Ollama uses the first two). Texts get the model's
/// special tokens (BERT: [CLS] … [SEP]). A sequence longer than the context is a 400 naming the input, unless
/// truncation was asked for: it then keeps the first tokens (and a text's closing special token).</summary>
internal static class EmbeddingInputs
{
    /// <param name="truncateTo">Truncate every sequence to at most this many tokens; null: refuse long inputs.</param>
    public static List<int[]> Parse(JsonNode? node, string field, ITokenizer tokenizer, int contextLength, int? truncateTo, int maxInputs)
    {
        if (node is null) throw ApiException.BadRequest($"'{field}' is required", field);
        var sequences = new List<int[]>();
        if (node.GetValueKind() == JsonValueKind.String)
            sequences.Add(Text(node.GetValue<string>(), tokenizer));
        else if (node is JsonArray a && a.Count > 0 && a.All(x => x?.GetValueKind() == JsonValueKind.String))
            sequences.AddRange(a.Select(x => Text(x!.GetValue<string>(), tokenizer)));
        else if (node is JsonArray ids && ids.Count > 0 && ids.All(x => x?.GetValueKind() == JsonValueKind.Number))
            sequences.Add(TokenIds(ids, field, tokenizer.VocabSize));
        else if (node is JsonArray lists && lists.Count > 0 && lists.All(x => x is JsonArray))
            for (int i = 0; i < lists.Count; i++) sequences.Add(TokenIds((JsonArray)lists[i]!, $"{field}[{i}]", tokenizer.VocabSize));
        else if (node is JsonArray { Count: 0 })
            throw ApiException.BadRequest($"'{field}' must not be empty", field);
        else
            throw ApiException.BadRequest($"'{field}' must be a string, an array of strings, an array of token ids or an array of arrays of token ids", field);
        if (sequences.Count > maxInputs)
            throw ApiException.BadRequest($"'{field}' has {sequences.Count} inputs; at most {maxInputs} are allowed per request", field);

        int limit = Math.Min(truncateTo ?? contextLength, contextLength);
        for (int i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            if (s.Length == 0) throw ApiException.BadRequest($"'{field}' item {i} has no tokens", field);
            if (s.Length <= limit) continue;
            if (truncateTo is null)
                throw ApiException.BadRequest($"input {i} has {s.Length} tokens, more than the model's context of {contextLength}; shorten it or ask for truncation", field, "context_length_exceeded");
            sequences[i] = Truncate(s, limit, tokenizer);
        }
        return sequences;
    }

    /// <summary>A text with the model's special tokens, as llama.cpp's embedding path tokenizes it.</summary>
    public static int[] Text(string text, ITokenizer tokenizer) => tokenizer.Encode(text, addSpecial: true, parseSpecial: false);

    private static int[] TokenIds(JsonArray a, string field, int vocabSize)
    {
        var ids = new int[a.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            var n = a[i];
            if (n is null || n.GetValueKind() != JsonValueKind.Number) throw ApiException.BadRequest($"'{field}' must hold token ids (integers)", field);
            double d = n.GetValue<double>();
            if (d != Math.Floor(d) || d < 0 || d >= vocabSize)
                throw ApiException.BadRequest($"'{field}[{i}]' is not a token id of this model (0..{vocabSize - 1})", field);
            ids[i] = (int)d;
        }
        return ids;
    }

    /// <summary>The first <paramref name="limit"/> tokens; a closing special token (SEP/EOS) stays at the end.</summary>
    private static int[] Truncate(int[] ids, int limit, ITokenizer tokenizer)
    {
        int last = ids[^1];
        bool closing = last == tokenizer.EosId || last == (tokenizer as GgufTokenizer)?.SepId;
        if (!closing || limit < 2) return ids[..limit];
        var cut = ids[..limit];
        cut[^1] = last;
        return cut;
    }
}
