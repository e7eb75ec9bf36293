using Hearth.Core.Gguf;

namespace Hearth.Engine.Models;

/// <summary>Llama-family hyperparameters read from GGUF metadata (<c>{arch}.*</c> keys, as llama.cpp names them).</summary>
public sealed record LlamaHyperparameters(
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
    /// <summary>Architectures this model class runs, and whether each uses NeoX-style rope.</summary>
    public static readonly IReadOnlyDictionary<string, bool> Supported = new Dictionary<string, bool>
    {
        ["llama"] = false, ["mistral"] = false, ["smollm"] = false, ["qwen2"] = true, ["qwen3"] = true,
    };

    public static LlamaHyperparameters FromGguf(GgufFile file)
    {
        string arch = file.GetString("general.architecture")
            ?? throw new GgufException($"{file.Path}: general.architecture is missing");
        if (!Supported.TryGetValue(arch, out bool neox))
            throw new NotSupportedException($"{file.Path}: architecture '{arch}' is not supported (supported: {string.Join(", ", Supported.Keys)})");

        int Int(string key, int? fallback = null) =>
            (int?)file.GetInteger($"{arch}.{key}") ?? fallback ?? throw new GgufException($"{file.Path}: metadata '{arch}.{key}' is missing");

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
        if (scaling is "yarn" or "longrope")
            throw new NotSupportedException($"{file.Path}: rope scaling '{scaling}' is not supported");
        if (scaling != "none" && factor is > 0 and not 1.0)
            freqScale = (float)(1.0 / factor.Value);

        return new LlamaHyperparameters(
            arch, embd, Int("block_count"), Int("feed_forward_length"), heads, kvHeads, headDim, vocab,
            Int("context_length", 2048),
            (float)(file.GetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5),
            Int("rope.dimension_count", headDim),
            (float)(file.GetFloat($"{arch}.rope.freq_base") ?? 10000.0),
            freqScale, neox);
    }
}
