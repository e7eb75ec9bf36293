using Hearth.Core.Tensors;

namespace Hearth.Engine.Models.Bert;

/// <summary>One encoder layer's weights (post-norm: attention, add, norm, FFN, add, norm). Biases and the FFN gate
/// are null where the architecture has none (nomic-bert: no biases, a SwiGLU gate; bert: biases, GELU).</summary>
internal sealed record BertLayer(
    Weight Q, Weight? QBias, Weight K, Weight? KBias, Weight V, Weight? VBias,
    Weight Output, Weight? OutputBias,
    Weight AttentionNorm, Weight? AttentionNormBias,
    Weight Up, Weight? UpBias, Weight? Gate, Weight Down, Weight? DownBias,
    Weight LayerNorm, Weight? LayerNormBias)
{
    /// <summary>Layer norms of Q and K after their projections (jina-bert-v2's qk-post-norm variant); null elsewhere.</summary>
    public Weight? QNorm { get; init; }
    public Weight? QNormBias { get; init; }
    public Weight? KNorm { get; init; }
    public Weight? KNormBias { get; init; }
}
