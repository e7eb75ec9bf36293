namespace Hearth.Engine.Models;

/// <summary>One forward pass over a flattened batch of tokens from many sequences (vLLM's varlen layout).
/// Tokens of sequence s occupy [Sequences[s].TokenStart, TokenStart + TokenCount). A decode step is a slice
/// of one token; a prefill chunk is a slice of many; both can be in the same batch.</summary>
/// <param name="TokenIds">Token ids, flattened over all sequences.</param>
/// <param name="Positions">Absolute position of each token in its sequence.</param>
/// <param name="SlotMapping">KV-cache slot each token's K and V are written to: block * BlockSize + offset.</param>
/// <param name="Sequences">Per sequence: its token slice, context length and block table.</param>
public sealed record ForwardBatch(int[] TokenIds, int[] Positions, int[] SlotMapping, SequenceSlice[] Sequences)
{
    private ForwardBatchIndex? _index;

    public int TokenCount => TokenIds.Length;

    /// <summary>Per token its sequence, the logit rows and the attention addressing: validated and built once (by the
    /// first reader), then shared by every layer.</summary>
    public ForwardBatchIndex Index => _index is { } index && ReferenceEquals(index.Batch, this) ? index : _index = new ForwardBatchIndex(this);

    /// <summary>Per KV-cache group (see <see cref="KvCacheLayout"/>): the slot each token's K and V are written to in
    /// that group's cache. The first is <see cref="SlotMapping"/>; a model with one group needs no other.</summary>
    public int[][] SlotMappings { get; init; } = [SlotMapping];

    /// <summary>Rows of the logits output: <see cref="SequenceSlice.LogitCount"/> per sequence that needs logits.</summary>
    public int LogitRows => Index.LogitRows.Length;
}

/// <summary>One sequence's part of a <see cref="ForwardBatch"/>.</summary>
/// <param name="TokenStart">Index of its first token in the flattened batch.</param>
/// <param name="TokenCount">How many of its tokens are in this batch.</param>
/// <param name="ContextLength">Tokens the sequence has in the KV cache once this batch is written (cached + these).
/// Attention of the token at position p reads positions 0..p through <paramref name="BlockTable"/>.</param>
/// <param name="BlockTable">Physical KV block ids, in order, covering ContextLength tokens.</param>
/// <param name="NeedsLogits">Whether logits are wanted for the last token of this slice (false for a
/// prefill chunk that does not finish the prompt).</param>
/// <param name="LogitCount">With NeedsLogits: how many of the slice's last tokens get a logits row each, in order
/// (1 normally; 1 + k when a speculative step verifies k draft tokens).</param>
/// <param name="Lora">The LoRA adapters its tokens run with (null: the base model alone).</param>
public readonly record struct SequenceSlice(int TokenStart, int TokenCount, int ContextLength, int[] BlockTable, bool NeedsLogits,
    int LogitCount = 1, Lora.LoraSelection? Lora = null)
{
    /// <summary>Per KV-cache group, the block table (the first is <see cref="BlockTable"/>). A sliding-window group's
    /// entries before the window of the slice's first token are <c>-1</c> (released; never read).</summary>
    public int[][] BlockTables { get; init; } = [BlockTable];
}
