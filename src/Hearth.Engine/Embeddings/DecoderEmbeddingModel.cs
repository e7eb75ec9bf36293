using Hearth.Engine.Models;

namespace Hearth.Engine.Embeddings;

/// <summary>A decoder embedding model (Qwen3-Embedding, gte-Qwen, e5-mistral: a decoder GGUF with
/// <c>{arch}.pooling_type</c> = last): each sequence runs causally through the decoder once and its vector is the last
/// token's hidden state after the final norm, as llama.cpp pools it. All sequences of a call share one forward pass;
/// each gets its own run of KV blocks for that pass only (nothing is kept between calls). The KV cache grows to the
/// largest call seen, which the embedding engine bounds by its token budget or one sequence's context.</summary>
public sealed class DecoderEmbeddingModel : IEmbeddingModel
{
    private const int BlockSize = 16;
    private readonly DecoderModel _model;
    private int _allocatedBlocks;

    public DecoderEmbeddingModel(DecoderModel model, PoolingType pooling)
    {
        if (pooling != PoolingType.Last)
            throw new NotSupportedException($"{model.Hyperparameters.Architecture} embedding models with {pooling.ToString().ToLowerInvariant()} pooling are not supported (decoders: last-token pooling)");
        _model = model;
        var hp = model.Hyperparameters;
        Shape = new EmbeddingShape(hp.Architecture, hp.VocabSize, hp.ContextLength, hp.EmbeddingLength, hp.EmbeddingLength, pooling);
    }

    public EmbeddingShape Shape { get; }

    public void Embed(ReadOnlySpan<int> tokens, ReadOnlySpan<int> lengths, Span<float> output)
    {
        int blocks = 0;
        foreach (int length in lengths)
        {
            if (length <= 0) throw new ArgumentException("every sequence needs at least one token", nameof(lengths));
            blocks += (length + BlockSize - 1) / BlockSize;
        }
        if (blocks > _allocatedBlocks)
        {
            _model.AllocateKvCache(blocks, BlockSize);
            _allocatedBlocks = blocks;
        }
        var positions = new int[tokens.Length];
        var slots = new int[tokens.Length];
        var slices = new SequenceSlice[lengths.Length];
        int start = 0, firstBlock = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int length = lengths[i], count = (length + BlockSize - 1) / BlockSize;
            for (int j = 0; j < length; j++)
            {
                positions[start + j] = j;
                slots[start + j] = firstBlock * BlockSize + j;
            }
            slices[i] = new SequenceSlice(start, length, length, Enumerable.Range(firstBlock, count).ToArray(), NeedsLogits: true);
            start += length;
            firstBlock += count;
        }
        if (start != tokens.Length) throw new ArgumentException($"lengths cover {start} tokens of {tokens.Length}", nameof(lengths));
        _model.ForwardHidden(new ForwardBatch(tokens.ToArray(), positions, slots, slices), output);
    }

    public void Dispose() => _model.Dispose();
}
