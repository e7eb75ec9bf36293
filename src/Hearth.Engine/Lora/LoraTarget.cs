namespace Hearth.Engine.Lora;

/// <summary>The matrices of a decoder block a LoRA adapter can change (llama.cpp's tensor names in brackets).</summary>
public enum LoraTarget
{
    /// <summary>attn_q (or the Q rows of a fused attn_qkv).</summary>
    Q,
    /// <summary>attn_k.</summary>
    K,
    /// <summary>attn_v.</summary>
    V,
    /// <summary>attn_output.</summary>
    AttentionOutput,
    /// <summary>ffn_gate (or the gate half of a fused ffn_up).</summary>
    Gate,
    /// <summary>ffn_up.</summary>
    Up,
    /// <summary>ffn_down.</summary>
    Down,
}

/// <summary>One adapted matrix: y += factor · scale · B·(A·x). A is r×n_in (llama.cpp's lora_a, ne [n_in, r]), B is
/// n_out×r (lora_b, ne [r, n_out]); <see cref="Factor"/> is alpha/r, or 1 when the adapter's alpha is 0.</summary>
public sealed record LoraWeights(Hearth.Core.Tensors.Weight A, Hearth.Core.Tensors.Weight B, int Rank, float Factor);
