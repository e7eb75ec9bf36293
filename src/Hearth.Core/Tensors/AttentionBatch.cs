namespace Hearth.Core.Tensors;

/// <summary>The per-step addressing of paged attention over a flattened batch, built once per step and shared by every
/// layer that reads the same KV-cache group: token i belongs to sequence <c>TokenSequence[i]</c>, sits at position
/// <c>Positions[i]</c> and reads its sequence's KV through <c>BlockTable(TokenSequence[i])</c>. Read-only for the kernels.</summary>
public sealed class AttentionBatch
{
    private readonly int[] _positions, _tokenSequence, _queryPositions;
    private readonly int[][] _blockTables;

    /// <param name="positions">Per token: its position (the attention extent: it reads positions up to this one).</param>
    /// <param name="tokenSequence">Per token: its sequence (an index into <paramref name="blockTables"/>).</param>
    /// <param name="blockTables">Per sequence: physical block ids in order (arrays may be longer than the sequence needs).</param>
    /// <param name="queryPositions">Per token with ALiBi: the query's own position (encoders attend past it).</param>
    public AttentionBatch(int[] positions, int[] tokenSequence, int[][] blockTables, int[]? queryPositions = null)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(tokenSequence);
        ArgumentNullException.ThrowIfNull(blockTables);
        foreach (var table in blockTables) ArgumentNullException.ThrowIfNull(table, nameof(blockTables));
        _positions = positions;
        _tokenSequence = tokenSequence;
        _blockTables = blockTables;
        _queryPositions = queryPositions ?? [];
    }

    public static AttentionBatch Empty { get; } = new([], [], []);

    public ReadOnlySpan<int> Positions => _positions;
    public ReadOnlySpan<int> TokenSequence => _tokenSequence;
    public ReadOnlySpan<int> QueryPositions => _queryPositions;
    public int SequenceCount => _blockTables.Length;
    public ReadOnlySpan<int> BlockTable(int sequence) => _blockTables[sequence];
}
