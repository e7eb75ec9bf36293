using Hearth.Core.Tokenizers;

namespace Hearth.Engine.Embeddings;

/// <summary>The token sequence a cross-encoder scores for one (query, document) pair, as llama.cpp builds it:
/// BOS query EOS SEP document EOS, each special token left out when the vocabulary has none (BERT: [CLS] query
/// [SEP] document). Texts are tokenized without special tokens.</summary>
public static class RerankInput
{
    public static int[] Pair(ITokenizer tokenizer, string query, string document)
    {
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

    /// <summary>The relevance score of a classifier output: sigmoid of its first value (llama.cpp's rank score).</summary>
    public static double Score(ReadOnlySpan<float> classifierOutput) => 1.0 / (1.0 + Math.Exp(-classifierOutput[0]));
}
