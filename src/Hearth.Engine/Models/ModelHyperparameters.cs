using Hearth.Core.Gguf;

namespace Hearth.Engine.Models;

/// <summary>Decoder hyperparameters read from GGUF metadata (<c>{arch}.*</c> keys, as llama.cpp names them). The
/// mixture-of-experts, sliding-window, softcapping and rope-scaling fields are zero/null where the file has none.</summary>
public sealed record ModelHyperparameters(
    string Architecture,
    int EmbeddingLength,
    int LayerCount,
    int FeedForwardLength,
    int HeadCount,
    int KvHeadCount,
    int HeadDim,
    int VocabSize,
    int ContextLength,
    float RmsEpsilon,
    int RopeDimensions,
    float RopeFrequencyBase,
    float RopeFrequencyScale,
    bool RopeNeox)
{
    /// <summary>Sliding-window size of the layers that slide (0: none).</summary>
    public int SlidingWindow { get; init; }
    public int ExpertCount { get; init; }
    public int ExpertUsedCount { get; init; }
    public int ExpertFeedForwardLength { get; init; }
    public int SharedExpertFeedForwardLength { get; init; }
    /// <summary>`{arch}.rope.scaling.type` ("linear", "yarn", "longrope"), null when absent.</summary>
    public string? RopeScalingType { get; init; }
    /// <summary>`{arch}.rope.scaling.original_context_length` (0 when absent).</summary>
    public int RopeOriginalContext { get; init; }
    /// <summary>`{arch}.rope.scaling.attn_factor` (1 when absent).</summary>
    public float RopeAttentionFactor { get; init; } = 1f;

    /// <summary>Architectures the decoder runs, and whether each uses NeoX-style rope.</summary>
    public static readonly IReadOnlyDictionary<string, bool> Supported = new Dictionary<string, bool>
    {
        ["llama"] = false, ["mistral"] = false, ["smollm"] = false, ["qwen2"] = true, ["qwen3"] = true,
        ["qwen2moe"] = true, ["qwen3moe"] = true, ["gemma2"] = true, ["gemma3"] = true, ["phi3"] = true,
        ["gpt-oss"] = true,
    };

    public static ModelHyperparameters FromGguf(GgufFile file)
    {
        string arch = file.GetString("general.architecture")
            ?? throw new GgufException($"{file.Path}: general.architecture is missing");
        if (!Supported.TryGetValue(arch, out bool neox))
            throw new NotSupportedException($"{file.Path}: architecture '{arch}' is not supported (supported: {string.Join(", ", Supported.Keys)})");

        int Int(string key, int? fallback = null) =>
            (int?)file.GetInteger($"{arch}.{key}") ?? fallback ?? throw new GgufException($"{file.Path}: metadata '{arch}.{key}' is missing");
        float Float(string key, float fallback) => (float)(file.GetFloat($"{arch}.{key}") ?? fallback);

        int embd = Int("embedding_length");
        int heads = Int("attention.head_count");
        int kvHeads = Int("attention.head_count_kv", heads);
        int headDim = Int("attention.key_length", embd / heads);
        int valueDim = Int("attention.value_length", headDim);
        if (valueDim != headDim)
            throw new NotSupportedException($"{file.Path}: value length {valueDim} differs from key length {headDim}");
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
            throw new GgufException($"{file.Path}: head counts {heads}/{kvHeads} are invalid");

        var embdTensor = file.GetTensor("token_embd.weight");
        int vocab = Int("vocab_size", (int)embdTensor.RowCount);

        float freqScale = 1.0f;
        string? scaling = file.GetString($"{arch}.rope.scaling.type");
        double? factor = file.GetFloat($"{arch}.rope.scaling.factor") ?? file.GetFloat($"{arch}.rope.scale_linear");
        if (scaling is not (null or "none" or "linear" or "yarn" or "longrope"))
            throw new NotSupportedException($"{file.Path}: rope scaling '{scaling}' is not supported");
        if (scaling is not ("none" or "longrope") && factor is > 0 and not 1.0)
            freqScale = (float)(1.0 / factor.Value);

        int experts = Int("expert_count", 0);
        return new ModelHyperparameters(
            arch, embd, Int("block_count"), Int("feed_forward_length", 0), heads, kvHeads, headDim, vocab,
            Int("context_length", 2048), Float("attention.layer_norm_rms_epsilon", 1e-5f),
            Int("rope.dimension_count", headDim), Float("rope.freq_base", 10000f), freqScale, neox)
        {
            SlidingWindow = Int("attention.sliding_window", 0),
            ExpertCount = experts,
            ExpertUsedCount = experts > 0 ? Int("expert_used_count") : 0,
            ExpertFeedForwardLength = Int("expert_feed_forward_length", 0),
            SharedExpertFeedForwardLength = Int("expert_shared_feed_forward_length", 0),
            RopeScalingType = scaling,
            RopeOriginalContext = Int("rope.scaling.original_context_length", 0),
            RopeAttentionFactor = Float("rope.scaling.attn_factor", 1f),
        };
    }

    /// <summary>The rope of the model's (global) layers, with YaRN when the file asks for it.</summary>
    public Core.Tensors.RopeParameters Rope(Core.Tensors.Weight? frequencyFactors) =>
        new(RopeDimensions, RopeFrequencyBase, RopeFrequencyScale, RopeNeox, frequencyFactors, RopeAttentionFactor,
            RopeScalingType == "yarn" ? new Core.Tensors.YarnParameters(1f, RopeOriginalContext > 0 ? RopeOriginalContext : ContextLength, 32f, 1f) : null);
}
