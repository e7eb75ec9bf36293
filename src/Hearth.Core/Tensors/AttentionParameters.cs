namespace Hearth.Core.Tensors;

/// <summary>Geometry and addressing of one paged-attention call over a flattened batch.
/// Token i belongs to sequence <c>TokenSequence[i]</c>, sits at position <c>Positions[i]</c>, and attends to
/// that sequence's positions 0..Positions[i] found through <c>BlockTables[TokenSequence[i]]</c>
/// (position p lives in cache row BlockTable[p / BlockSize] * BlockSize + p % BlockSize).</summary>
public sealed record AttentionParameters(int HeadCount, int KvHeadCount, int HeadDim, float Scale, int BlockSize)
{
    /// <summary>Per token: its position (filled per batch by the model; reused buffers).</summary>
    public int[] Positions { get; set; } = [];
    /// <summary>Per token: index into <see cref="BlockTables"/>.</summary>
    public int[] TokenSequence { get; set; } = [];
    /// <summary>Per sequence: physical block ids in order.</summary>
    public int[][] BlockTables { get; set; } = [];
}
