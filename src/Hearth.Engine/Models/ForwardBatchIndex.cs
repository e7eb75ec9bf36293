using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>What every layer of a forward pass reads from its <see cref="ForwardBatch"/>, validated and built once per
/// step: per token its sequence, the token rows whose logits are wanted, and per KV-cache group the attention addressing
/// (<see cref="AttentionBatch"/>). Read-only for the model.</summary>
public sealed class ForwardBatchIndex
{
    private readonly int[] _tokenSequence;
    private readonly int[] _logitRows;
    private readonly AttentionBatch[] _attention;

    internal ForwardBatchIndex(ForwardBatch batch)
    {
        Batch = batch;
        int t = batch.TokenCount;
        if (batch.Positions.Length != t)
            throw new ArgumentException($"batch has {t} tokens but {batch.Positions.Length} positions");
        int groups = batch.Sequences.Length > 0 ? batch.Sequences[0].BlockTables.Length : batch.SlotMappings.Length;
        _tokenSequence = new int[t];
        int rows = 0, covered = 0;
        foreach (var seq in batch.Sequences) rows += seq.NeedsLogits ? seq.LogitCount : 0;
        _logitRows = new int[rows];
        rows = 0;
        var tables = new int[groups][][];
        for (int g = 0; g < groups; g++) tables[g] = new int[batch.Sequences.Length][];
        for (int i = 0; i < batch.Sequences.Length; i++)
        {
            var seq = batch.Sequences[i];
            if (seq.TokenStart < 0 || seq.TokenCount < 0 || seq.TokenStart + seq.TokenCount > t)
                throw new ArgumentException($"sequence {i} slice [{seq.TokenStart}, +{seq.TokenCount}) is outside the batch of {t}");
            if (seq.BlockTables.Length != groups)
                throw new ArgumentException($"sequence {i} has block tables for {seq.BlockTables.Length} KV-cache groups, sequence 0 for {groups}");
            for (int j = seq.TokenStart; j < seq.TokenStart + seq.TokenCount; j++)
            {
                if (batch.Positions[j] < 0 || batch.Positions[j] >= seq.ContextLength)
                    throw new ArgumentException($"token {j} has position {batch.Positions[j]} outside its sequence's context of {seq.ContextLength}");
                _tokenSequence[j] = i;
            }
            covered += seq.TokenCount;
            for (int g = 0; g < groups; g++) tables[g][i] = seq.BlockTables[g];
            if (seq.NeedsLogits)
            {
                if (seq.LogitCount < 1 || seq.LogitCount > seq.TokenCount)
                    throw new ArgumentException($"sequence {i} wants logits for {seq.LogitCount} of its {seq.TokenCount} tokens");
                for (int j = seq.TokenCount - seq.LogitCount; j < seq.TokenCount; j++) _logitRows[rows++] = seq.TokenStart + j;
            }
        }
        if (covered != t) throw new ArgumentException($"sequences cover {covered} tokens of a batch of {t}");
        _attention = new AttentionBatch[groups];
        for (int g = 0; g < groups; g++) _attention[g] = new AttentionBatch(batch.Positions, _tokenSequence, tables[g]);
    }

    /// <summary>The batch this index was built for.</summary>
    public ForwardBatch Batch { get; }

    /// <summary>Per token: the index of its sequence in <see cref="ForwardBatch.Sequences"/>.</summary>
    public ReadOnlySpan<int> TokenSequence => _tokenSequence;

    /// <summary>The tokens whose logits are wanted, in output row order.</summary>
    public ReadOnlySpan<int> LogitRows => _logitRows;

    /// <summary>KV-cache groups the slices carry block tables for.</summary>
    public int GroupCount => _attention.Length;

    /// <summary>The attention addressing of KV-cache group <paramref name="group"/>.</summary>
    public AttentionBatch Attention(int group) => _attention[group];
}
