using Hearth.Core.Tensors;

namespace Hearth.Engine.Models.Architectures;

/// <summary>What an architecture contributes to the shared decoder: its weights per layer and the model-level
/// settings (embedding scale, final logit softcapping).</summary>
internal sealed record DecoderDefinition(Weight Embedding, Weight OutputNorm, Weight Output, DecoderLayer[] Layers,
    float EmbeddingScale = 1f, float FinalSoftcap = 0f)
{
    /// <summary>Binds the weights of the architecture named in <paramref name="hp"/>.</summary>
    public static DecoderDefinition Build(WeightBinder w, ModelHyperparameters hp) => hp.Architecture switch
    {
        "gemma2" or "gemma3" => GemmaArchitecture.Build(w, hp),
        "phi3" => Phi3Architecture.Build(w, hp),
        "gpt-oss" => GptOssArchitecture.Build(w, hp),
        _ => LlamaArchitecture.Build(w, hp),
    };

    /// <summary>Token embedding, final norm and output matrix (tied to the embedding when absent).</summary>
    public static DecoderDefinition WithLayers(WeightBinder w, ModelHyperparameters hp, DecoderLayer[] layers)
    {
        int d = hp.EmbeddingLength;
        // Tied: one matrix serves lookups and the logits. Untied: the embedding is only looked up, never multiplied.
        bool tied = !w.Has("output.weight");
        var embedding = tied ? w.Get("token_embd.weight", hp.VocabSize, d) : w.Lookup("token_embd.weight", hp.VocabSize, d);
        var output = tied ? embedding : w.Get("output.weight", hp.VocabSize, d);
        return new DecoderDefinition(embedding, w.Get("output_norm.weight", 1, d), output, layers);
    }

    /// <summary>Attention settings with the usual 1/√head_dim scale unless given.</summary>
    public static AttentionParameters Attention(ModelHyperparameters hp, int slidingWindow = 0, float softcap = 0, float? scale = null) =>
        new(hp.HeadCount, hp.KvHeadCount, hp.HeadDim, scale ?? 1.0f / MathF.Sqrt(hp.HeadDim), 1, slidingWindow, softcap);
}
