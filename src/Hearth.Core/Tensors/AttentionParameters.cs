namespace Hearth.Core.Tensors;

/// <summary>Geometry and addressing of one paged-attention call over a flattened batch.
/// Token i belongs to sequence <c>TokenSequence[i]</c>, sits at position <c>Positions[i]</c>, and attends to
/// that sequence's positions 0..Positions[i] found through <c>BlockTables[TokenSequence[i]]</c>
/// (position p lives in cache row BlockTable[p / BlockSize] * BlockSize + p % BlockSize).</summary>
/// <param name="SlidingWindow">When &gt; 0, a token at position p attends only to positions p - SlidingWindow + 1 .. p
/// (llama.cpp's standard sliding window: masked when p - j ≥ window).</param>
/// <param name="Softcap">When &gt; 0, scores become softcap · tanh(score / softcap) after scaling (Gemma 2).</param>
/// <param name="Sinks">Optional per-head sink logits (one F32 value per query head): an extra softmax term that
/// takes probability mass but contributes no value (gpt-oss).</param>
public sealed record AttentionParameters(int HeadCount, int KvHeadCount, int HeadDim, float Scale, int BlockSize,
    int SlidingWindow = 0, float Softcap = 0, Weight? Sinks = null)
{
    /// <summary>Per token: its position (filled per batch by the model; reused buffers).</summary>
    public int[] Positions { get; set; } = [];
    /// <summary>Per token: index into <see cref="BlockTables"/>.</summary>
    public int[] TokenSequence { get; set; } = [];
    /// <summary>Per sequence: physical block ids in order.</summary>
    public int[][] BlockTables { get; set; } = [];

    /// <summary>First position a token at <paramref name="position"/> attends to.</summary>
    public int FirstVisible(int position) => SlidingWindow > 0 ? Math.Max(0, position - SlidingWindow + 1) : 0;
}
