namespace Hearth.Core.Tensors;

/// <summary>Optional backend capability: bidirectional (encoder) attention over packed sequences whose Q, K and V rows
/// lie contiguously in the step's own tensors, with no KV cache and no block tables. A backend without it runs
/// encoders through <see cref="IBackend.PagedAttention"/> (block size 1, the sequence's own rows as its "cache").</summary>
public interface IEncoderAttention
{
    /// <summary>For each sequence i (rows [Σ lengths[..i], +lengths[i]) of q, k and v) and each query head:
    /// softmax(q·Kᵀ·scale − slope·|i − j|) · V over every position j of the same sequence (the ALiBi term only with
    /// <see cref="AttentionParameters.AlibiSlopes"/>; GQA heads share KV heads in groups). Only the geometry of
    /// <paramref name="attention"/> is read (heads, head size, scale, slopes): no sliding window, softcap or sinks.</summary>
    void EncoderAttention(Tensor q, Tensor k, Tensor v, Tensor output, AttentionParameters attention, ReadOnlySpan<int> lengths);
}
