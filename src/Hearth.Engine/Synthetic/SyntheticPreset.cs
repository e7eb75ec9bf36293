namespace Hearth.Engine.Synthetic;

/// <summary>The shape of a synthetic (random-weight) model: llama.cpp hyperparameters of a real architecture.</summary>
public sealed record SyntheticPreset(
    string Name,
    string Architecture,
    int EmbeddingLength,
    int BlockCount,
    int HeadCount,
    int HeadCountKv,
    int HeadDim,
    int FeedForwardLength,
    float RopeFreqBase,
    float RmsEpsilon,
    int ContextLength,
    bool TiedEmbeddings,
    bool QkvBias,
    string DefaultVocab)
{
    /// <summary>Encoders and embedding models: the GGUF pooling type written (null: a generation model).</summary>
    public Models.PoolingType? Pooling { get; init; }

    /// <summary>Whether this is a BERT-family encoder (post-norm layers, layer norm, bidirectional attention).</summary>
    public bool IsEncoder => Architecture is "bert" or "nomic-bert";

    /// <summary>The presets by name. Context lengths of the llama presets are written as 8192 (the real models
    /// advertise 131072), so that tools which size their KV cache from the file stay small.</summary>
    public static IReadOnlyDictionary<string, SyntheticPreset> All { get; } = new Dictionary<string, SyntheticPreset>(StringComparer.OrdinalIgnoreCase)
    {
        ["llama-3.2-1b"] = new("llama-3.2-1b", "llama", 2048, 16, 32, 8, 64, 8192, 500000f, 1e-5f, 8192, true, false, "ggml-vocab-llama-bpe.gguf"),
        ["llama-3.1-8b"] = new("llama-3.1-8b", "llama", 4096, 32, 32, 8, 128, 14336, 500000f, 1e-5f, 8192, false, false, "ggml-vocab-llama-bpe.gguf"),
        ["qwen2.5-0.5b"] = new("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864, 1000000f, 1e-6f, 32768, true, true, "ggml-vocab-gpt-2.gguf"),
        // Small shapes for tests: 64-wide rows also exercise the Q4_K → Q8_0 fallback.
        ["tiny-test"] = new("tiny-test", "llama", 64, 2, 4, 2, 16, 128, 10000f, 1e-5f, 2048, false, false, "ggml-vocab-llama-bpe.gguf"),
        ["tiny-test-qwen2"] = new("tiny-test-qwen2", "qwen2", 256, 2, 4, 2, 64, 512, 1000000f, 1e-6f, 2048, true, true, "ggml-vocab-gpt-2.gguf"),
        // Encoders (embeddings, reranking) on the BGE WordPiece vocabulary. RmsEpsilon holds the layer-norm epsilon.
        ["tiny-bert"] = new("tiny-bert", "bert", 64, 2, 4, 4, 16, 128, 10000f, 1e-12f, 512, true, true, Bge) { Pooling = Models.PoolingType.Cls },
        ["tiny-bert-rerank"] = new("tiny-bert-rerank", "bert", 64, 2, 4, 4, 16, 128, 10000f, 1e-12f, 512, true, true, Bge) { Pooling = Models.PoolingType.Rank },
        ["tiny-nomic-bert"] = new("tiny-nomic-bert", "nomic-bert", 64, 2, 4, 4, 16, 128, 1000f, 1e-12f, 2048, true, false, Bge) { Pooling = Models.PoolingType.Mean },
        ["bge-small"] = new("bge-small", "bert", 384, 12, 12, 12, 32, 1536, 10000f, 1e-12f, 512, true, true, Bge) { Pooling = Models.PoolingType.Cls },
        ["nomic-embed-text-v1.5"] = new("nomic-embed-text-v1.5", "nomic-bert", 768, 12, 12, 12, 64, 3072, 1000f, 1e-12f, 2048, true, false, Bge) { Pooling = Models.PoolingType.Mean },
    };

    private const string Bge = "ggml-vocab-bert-bge.gguf";

    /// <summary>A preset by name, or an <see cref="ArgumentException"/> listing the known names.</summary>
    public static SyntheticPreset Get(string name) =>
        All.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", All.Keys)})");
}
