using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>One transformer block: an attention sub-block and a feed-forward sub-block, each with a pre-norm, an
/// optional post-norm (Gemma) and a residual add, plus the block's own rope (per-layer bases) and attention settings
/// (sliding window, softcapping, sinks).</summary>
public sealed record DecoderLayer(AttentionBlock Attention, FeedForwardBlock FeedForward, RopeParameters Rope, AttentionParameters AttentionSettings);

/// <summary>Attention weights. Biases (Qwen2; gpt-oss also on the output) and per-head Q/K norms (Qwen3, Gemma 3) are optional.</summary>
public sealed record AttentionBlock(
    Weight Norm, Weight Q, Weight K, Weight V, Weight? QBias, Weight? KBias, Weight? VBias,
    Weight? QNorm, Weight? KNorm, Weight Output, Weight? PostNorm)
{
    public Weight? OutputBias { get; init; }
}

/// <summary>Feed-forward weights: a gated dense FFN (SwiGLU, or GeGLU when <see cref="Gelu"/>) or, when
/// <see cref="Experts"/> is set, routed experts instead.</summary>
public sealed record FeedForwardBlock(Weight Norm, Weight? Gate, Weight? Up, Weight? Down, bool Gelu, ExpertWeights? Experts, Weight? PostNorm);

/// <summary>A mixture-of-experts FFN: a router, per-expert SwiGLU matrices, top-k selection with optionally
/// renormalised weights, and an optional shared expert gated by sigmoid(x · SharedGateInput) (Qwen2-MoE).
/// gpt-oss adds biases (router and every expert matrix) and clamps its SwiGLU (<see cref="SwiGluLimit"/>).</summary>
public sealed record ExpertWeights(
    Weight Router, Weight[] Gate, Weight[] Up, Weight[] Down, int Used, bool NormalizeWeights,
    Weight? SharedGate, Weight? SharedUp, Weight? SharedDown, Weight? SharedGateInput)
{
    public int Count => Router.Rows;
    public int FeedForwardLength => Gate[0].Rows;
    public Weight? RouterBias { get; init; }
    public Weight[]? GateBias { get; init; }
    public Weight[]? UpBias { get; init; }
    public Weight[]? DownBias { get; init; }
    /// <summary>When &gt; 0, experts use the clamped SwiGLU (ggml's swiglu_oai) with this limit and <see cref="SwiGluAlpha"/>.</summary>
    public float SwiGluLimit { get; init; }
    public float SwiGluAlpha { get; init; } = 1f;
}
