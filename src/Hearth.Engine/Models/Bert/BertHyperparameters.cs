using Hearth.Core.Gguf;

namespace Hearth.Engine.Models.Bert;

/// <summary>Hyperparameters of the BERT family (bert, nomic-bert, jina-bert-v2) read from GGUF metadata as llama.cpp names them.</summary>
/// <param name="RopeFrequencyBase">nomic-bert rotates Q and K (NeoX style); bert adds learned position embeddings instead.</param>
public sealed record BertHyperparameters(
    string Architecture,
    int EmbeddingLength,
    int LayerCount,
    int FeedForwardLength,
    int HeadCount,
    int VocabSize,
    int ContextLength,
    float LayerNormEpsilon,
    PoolingType Pooling,
    float RopeFrequencyBase)
{
    /// <summary>Architectures this model class runs.</summary>
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal) { "bert", "nomic-bert", "jina-bert-v2" };

    public int HeadDim => EmbeddingLength / HeadCount;

    /// <summary>Whether Q and K are rotated by position (nomic-bert) rather than positions being embedded (bert).</summary>
    public bool UsesRope => Architecture == "nomic-bert";

    /// <summary>Whether attention is biased by distance instead (ALiBi: jina-bert-v2, no position embeddings).</summary>
    public bool UsesAlibi => Architecture == "jina-bert-v2";

    /// <summary>ALiBi's maximum bias (llama.cpp fixes it at 8 for jina-bert-v2).</summary>
    public const float MaxAlibiBias = 8f;

    /// <summary>Whether a gated feed-forward applies GELU to its gate (jina-bert-v2's GEGLU) rather than SiLU (nomic-bert).</summary>
    public bool GeluGate => Architecture == "jina-bert-v2";

    public static BertHyperparameters FromGguf(GgufFile file)
    {
        string arch = file.GetString("general.architecture")
            ?? throw new GgufException($"{file.Path}: general.architecture is missing");
        if (!Supported.Contains(arch))
            throw new NotSupportedException($"{file.Path}: architecture '{arch}' is not an encoder this model class runs (supported: {string.Join(", ", Supported)})");

        int Int(string key, int? fallback = null) =>
            (int?)file.GetInteger($"{arch}.{key}") ?? fallback ?? throw new GgufException($"{file.Path}: metadata '{arch}.{key}' is missing");

        int embd = Int("embedding_length");
        int heads = Int("attention.head_count");
        if (heads <= 0 || embd % heads != 0)
            throw new GgufException($"{file.Path}: {heads} heads do not divide the embedding width {embd}");
        if (file.GetInteger($"{arch}.attention.head_count_kv") is { } kv && kv != heads)
            throw new NotSupportedException($"{file.Path}: grouped-query attention ({heads}/{kv} heads) is not supported for {arch}");
        if (file.GetBool($"{arch}.attention.causal") == true)
            throw new NotSupportedException($"{file.Path}: causal attention is not supported for {arch}");

        var pooling = (PoolingType)Int("pooling_type", (int)PoolingType.None);
        if (pooling is PoolingType.None or > PoolingType.Rank)
            throw new NotSupportedException($"{file.Path}: pooling type {(int)pooling} is not supported (mean, cls, last or rank)");

        var embdTensor = file.GetTensor("token_embd.weight");
        return new BertHyperparameters(
            arch, embd, Int("block_count"), Int("feed_forward_length"), heads,
            Int("vocab_size", (int)embdTensor.RowCount), Int("context_length", 512),
            (float)(file.GetFloat($"{arch}.attention.layer_norm_epsilon") ?? 1e-12),
            pooling,
            (float)(file.GetFloat($"{arch}.rope.freq_base") ?? 10000.0));
    }
}
