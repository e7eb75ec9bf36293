namespace Hearth.Core.Tensors;

/// <summary>Rotary position embedding settings, as ggml's rope_ext op takes them.</summary>
/// <param name="Dimensions">Rotated dimensions per head (≤ head size; the rest pass through).</param>
/// <param name="FrequencyBase">θ base (10000, 500000, …).</param>
/// <param name="FrequencyScale">Linear position scale (1 / rope scaling factor; 1 when unscaled).</param>
/// <param name="Neox">True: rotate (i, i + d/2) pairs (GPT-NeoX, Qwen); false: adjacent pairs (Llama GGUF).</param>
/// <param name="FrequencyFactors">Optional per-pair divisors (Llama 3 `rope_freqs.weight`, LongRoPE's short or long
/// factors: Dimensions/2 F32 values).</param>
/// <param name="AttentionFactor">Multiplies cos and sin (ggml's attn_factor / mscale; 1 when unscaled).</param>
/// <param name="Yarn">YaRN's extrapolation/interpolation blend; null for plain rope.</param>
public sealed record RopeParameters(int Dimensions, float FrequencyBase, float FrequencyScale, bool Neox, Weight? FrequencyFactors,
    float AttentionFactor = 1f, YarnParameters? Yarn = null);

/// <summary>YaRN settings (ggml's ext_factor, n_ctx_orig, beta_fast, beta_slow).</summary>
/// <param name="ExtFactor">Blend strength of extrapolation on the high-frequency pairs (1 for YaRN).</param>
/// <param name="OriginalContext">The context length the model was trained with before scaling.</param>
/// <param name="BetaFast">Rotations at which the ramp starts (32).</param>
/// <param name="BetaSlow">Rotations at which the ramp ends (1).</param>
public sealed record YarnParameters(float ExtFactor, int OriginalContext, float BetaFast, float BetaSlow);
