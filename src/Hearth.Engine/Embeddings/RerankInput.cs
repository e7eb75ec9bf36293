using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;

namespace Hearth.Engine.Embeddings;

/// <summary>How a reranker's (query, document) pairs become token sequences and its outputs become scores, as
/// llama.cpp's server does it. With a rerank prompt template (<c>tokenizer.chat_template.rerank</c>, what llama.cpp's
/// converter writes for Qwen3-Reranker) the pair is that text with <c>{query}</c> and then <c>{document}</c> replaced
/// everywhere, tokenized with special tokens parsed and none added. Without one: BOS query EOS SEP document EOS, each
/// special token left out when the vocabulary has none (BERT: [CLS] query [SEP] document), texts tokenized without
/// special tokens.</summary>
/// <param name="Template">The rerank prompt template, or null.</param>
/// <param name="ScoreIsProbability">Whether the model's classifier output is already a probability (qwen3: llama.cpp
/// softmaxes the yes/no head), so the score is its first value as is; otherwise the score is its sigmoid.</param>
public sealed record RerankInput(string? Template, bool ScoreIsProbability)
{
    /// <summary>GGUF key of llama.cpp's rerank prompt template.</summary>
    public const string TemplateKey = "tokenizer.chat_template.rerank";

    /// <summary>Cross-encoders without a template (BGE-reranker style).</summary>
    public static RerankInput Default { get; } = new(null, false);

    /// <summary>The format a GGUF asks for: its rerank template if any; probabilities from qwen3's softmaxed head.</summary>
    public static RerankInput FromGguf(GgufFile file) =>
        new(file.GetString(TemplateKey), file.GetString("general.architecture") is "qwen3" or "qwen3vl");

    public int[] Pair(ITokenizer tokenizer, string query, string document)
    {
        if (Template is { } template)
            return tokenizer.Encode(template.Replace("{query}", query).Replace("{document}", document), addSpecial: false, parseSpecial: true);
        var ids = new List<int>();
        int? sep = (tokenizer as GgufTokenizer)?.SepId;
        if (tokenizer.BosId is { } bos) ids.Add(bos);
        ids.AddRange(tokenizer.Encode(query, addSpecial: false, parseSpecial: false));
        if (tokenizer.EosId is { } eos) ids.Add(eos);
        if (sep is { } s) ids.Add(s);
        ids.AddRange(tokenizer.Encode(document, addSpecial: false, parseSpecial: false));
        if (tokenizer.EosId is { } eos2) ids.Add(eos2);
        return [.. ids];
    }

    /// <summary>The relevance score of a classifier output: its first value, through a sigmoid unless it is already a
    /// probability (llama.cpp's rank score).</summary>
    public double Score(ReadOnlySpan<float> classifierOutput) =>
        ScoreIsProbability ? classifierOutput[0] : 1.0 / (1.0 + Math.Exp(-classifierOutput[0]));
}
