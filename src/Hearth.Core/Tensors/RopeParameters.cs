namespace Hearth.Core.Tensors;

/// <summary>Rotary position embedding settings, as ggml's rope op takes them.</summary>
/// <param name="Dimensions">Rotated dimensions per head (≤ head size; the rest pass through).</param>
/// <param name="FrequencyBase">θ base (10000, 500000, …).</param>
/// <param name="FrequencyScale">Linear position scale (1 / rope scaling factor; 1 when unscaled).</param>
/// <param name="Neox">True: rotate (i, i + d/2) pairs (GPT-NeoX, Qwen); false: adjacent pairs (Llama GGUF).</param>
/// <param name="FrequencyFactors">Optional per-pair divisors (Llama 3 `rope_freqs.weight`, Dimensions/2 F32 values).</param>
public sealed record RopeParameters(int Dimensions, float FrequencyBase, float FrequencyScale, bool Neox, Weight? FrequencyFactors);
