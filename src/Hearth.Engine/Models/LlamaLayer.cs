using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>One transformer block's weights. Biases (Qwen2) and per-head Q/K norms (Qwen3) are optional.</summary>
public sealed record LlamaLayer(
    Weight AttentionNorm, Weight Q, Weight K, Weight V, Weight? QBias, Weight? KBias, Weight? VBias,
    Weight? QNorm, Weight? KNorm, Weight Output, Weight FfnNorm, Weight Gate, Weight Up, Weight Down);
