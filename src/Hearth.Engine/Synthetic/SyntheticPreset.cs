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
    /// <summary>The presets by name. Context lengths of the llama presets are written as 8192 (the real models
    /// advertise 131072), so that tools which size their KV cache from the file stay small.</summary>
    public static IReadOnlyDictionary<string, SyntheticPreset> All { get; } = new Dictionary<string, SyntheticPreset>(StringComparer.OrdinalIgnoreCase)
    {
        ["llama-3.2-1b"] = new("llama-3.2-1b", "llama", 2048, 16, 32, 8, 64, 8192, 500000f, 1e-5f, 8192, true, false, "ggml-vocab-llama-bpe.gguf"),
        ["llama-3.1-8b"] = new("llama-3.1-8b", "llama", 4096, 32, 32, 8, 128, 14336, 500000f, 1e-5f, 8192, false, false, "ggml-vocab-llama-bpe.gguf"),
        ["qwen2.5-0.5b"] = new("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864, 1000000f, 1e-6f, 32768, true, true, "ggml-vocab-gpt-2.gguf"),
        // Small shapes for tests: 64-wide rows also exercise the Q4_K → Q8_0 fallback.
        ["tiny-test"] = new("tiny-test", "llama", 64, 2, 4, 2, 16, 128, 10000f, 1e-5f, 2048, false, false, "ggml-vocab-llama-bpe.gguf"),
        // Every row a multiple of 256, so each weight format (K-quants, IQ4_XS included) covers every matrix.
        ["tiny-formats"] = new("tiny-formats", "llama", 256, 2, 4, 2, 64, 512, 10000f, 1e-5f, 2048, false, false, "ggml-vocab-llama-spm.gguf"),
        ["tiny-test-qwen2"] = new("tiny-test-qwen2", "qwen2", 256, 2, 4, 2, 64, 512, 1000000f, 1e-6f, 2048, true, true, "ggml-vocab-gpt-2.gguf"),
    };

    /// <summary>A preset by name, or an <see cref="ArgumentException"/> listing the known names.</summary>
    public static SyntheticPreset Get(string name) =>
        All.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", All.Keys)})");
}
