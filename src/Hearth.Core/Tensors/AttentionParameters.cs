namespace Hearth.Core.Tensors;

/// <summary>Geometry of one layer's paged attention (fixed when the model is loaded) and the step's addressing
/// (<see cref="Batch"/>, set per step with <c>with</c>: nothing here is mutable). Token i belongs to sequence
/// <c>TokenSequence[i]</c>, sits at position <c>Positions[i]</c>, and attends to that sequence's positions
/// <see cref="FirstVisible"/>..Positions[i] found through its block table (position p lives in cache row
/// BlockTable[p / BlockSize] * BlockSize + p % BlockSize).</summary>
/// <param name="SlidingWindow">When &gt; 0, a token at position p attends only to positions p - SlidingWindow + 1 .. p
/// (llama.cpp's standard sliding window: masked when p - j ≥ window).</param>
/// <param name="Softcap">When &gt; 0, scores become softcap · tanh(score / softcap) after scaling (Gemma 2).</param>
/// <param name="Sinks">Optional per-head sink logits (one F32 value per query head): an extra softmax term that
/// takes probability mass but contributes no value (gpt-oss).</param>
/// <param name="AlibiSlopes">Optional per-query-head ALiBi slopes (jina-bert-v2): each score gains
/// −slope · |query position − key position|, with the query's position from <see cref="QueryPositions"/>.</param>
public sealed record AttentionParameters(int HeadCount, int KvHeadCount, int HeadDim, float Scale, int BlockSize,
    int SlidingWindow = 0, float Softcap = 0, Weight? Sinks = null, float[]? AlibiSlopes = null)
{
    /// <summary>The step's addressing (built once per step, shared by the layers of a KV-cache group).</summary>
    public AttentionBatch Batch { get; init; } = AttentionBatch.Empty;

    /// <summary>Per token with ALiBi: the query's own position (encoders attend past it, so it is not the extent
    /// in <see cref="Positions"/>).</summary>
    public ReadOnlySpan<int> QueryPositions => Batch.QueryPositions;

    /// <summary>ALiBi slopes as ggml computes them for <paramref name="headCount"/> heads and a maximum bias: geometric
    /// in the nearest power of two of the head count, interleaved for the heads beyond it.</summary>
    public static float[] AlibiSlopesFor(int headCount, float maxBias)
    {
        int log2 = 1 << (int)Math.Floor(Math.Log2(headCount));
        float m0 = MathF.Pow(2f, -maxBias / log2), m1 = MathF.Pow(2f, -(maxBias / 2f) / log2);
        var slopes = new float[headCount];
        for (int h = 0; h < headCount; h++)
            slopes[h] = h < log2 ? MathF.Pow(m0, h + 1) : MathF.Pow(m1, 2 * (h - log2) + 1);
        return slopes;
    }

    /// <summary>Per token: its position.</summary>
    public ReadOnlySpan<int> Positions => Batch.Positions;
    /// <summary>Per token: its sequence.</summary>
    public ReadOnlySpan<int> TokenSequence => Batch.TokenSequence;

    /// <summary>First position a token at <paramref name="position"/> attends to.</summary>
    public int FirstVisible(int position) => SlidingWindow > 0 ? Math.Max(0, position - SlidingWindow + 1) : 0;
}
