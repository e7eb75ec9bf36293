using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>Shape facts the engine needs from a loaded model.</summary>
public sealed record ModelShape(
    string Architecture,
    int VocabSize,
    int ContextLength,
    int LayerCount,
    int KvHeadCount,
    int HeadDim,
    int EmbeddingLength);

/// <summary>A model the engine can run: a forward pass over a <see cref="ForwardBatch"/> with a paged KV cache
/// that the model owns but the engine's BlockManager addresses. Implemented by the Llama-family model over
/// any backend; the engine never sees tensors or backends.</summary>
public interface IForwardModel : IDisposable
{
    ModelShape Shape { get; }

    /// <summary>Bytes of KV cache one token takes across all layers (K and V).</summary>
    long KvBytesPerToken { get; }

    /// <summary>(Re)allocates the paged KV cache: <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> tokens.
    /// Must be called before the first Forward.</summary>
    void AllocateKvCache(int blockCount, int blockSize);

    /// <summary>Bytes of KV cache one token takes with elements of <paramref name="type"/> (what sizes the block pool).</summary>
    long KvBytesPerTokenFor(KvCacheType type) => type == KvCacheType.F32
        ? KvBytesPerToken
        : throw new NotSupportedException($"this model has no {KvCacheTypes.Name(type)} KV cache (f32 only)");

    /// <summary><see cref="AllocateKvCache(int, int)"/> with elements of <paramref name="type"/>.</summary>
    void AllocateKvCache(int blockCount, int blockSize, KvCacheType type)
    {
        KvBytesPerTokenFor(type); // refuses a type the model lacks
        AllocateKvCache(blockCount, blockSize);
    }

    /// <summary>Per layer, its sliding window (0: full attention); empty when no layer slides. The engine puts the layers
    /// of each window in a KV-cache group of their own (<see cref="KvCacheLayout"/>).</summary>
    IReadOnlyList<int> SlidingWindows => [];

    /// <summary>(Re)allocates the paged KV cache as <paramref name="layout"/> says: per layer, the blocks of its group.
    /// A model without sliding layers only ever gets one group.</summary>
    void AllocateKvCache(KvCacheLayout layout)
    {
        if (layout.GroupCount != 1) throw new NotSupportedException("this model has one KV-cache group");
        AllocateKvCache(layout.BlockCounts[0], layout.BlockSize, layout.Type);
    }

    /// <summary>Copies whole KV blocks of one KV-cache group (copy-on-write when sequences that shared a block diverge).</summary>
    void CopyBlocks(int group, ReadOnlySpan<(int Source, int Destination)> pairs)
    {
        if (group != 0) throw new ArgumentOutOfRangeException(nameof(group), "this model has one KV-cache group");
        CopyBlocks(pairs);
    }

    /// <summary>Runs the batch: writes each token's K/V to its slot and writes rows of VocabSize logits into
    /// <paramref name="logits"/>: for each sequence with NeedsLogits (in sequence order), one per token of its last
    /// LogitCount tokens (in position order).</summary>
    void Forward(ForwardBatch batch, Span<float> logits);

    /// <summary>Runs the batch as <see cref="Forward"/> does but returns, per logits row, the argmax token (lowest id on
    /// ties) instead of the logits, computed where the logits are (a GPU: one id per row comes back). False, with nothing
    /// run, when the model cannot do that better than the host: call <see cref="Forward"/> and sample there.</summary>
    bool ForwardGreedy(ForwardBatch batch, Span<int> tokens) => false;

    /// <summary>Copies whole KV blocks (copy-on-write when sequences that shared a block diverge).</summary>
    void CopyBlocks(ReadOnlySpan<(int Source, int Destination)> pairs);
}
