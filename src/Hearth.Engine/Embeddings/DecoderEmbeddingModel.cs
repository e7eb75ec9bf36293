using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Engine.Models;

namespace Hearth.Engine.Embeddings;

/// <summary>A decoder embedding model (Qwen3-Embedding, gte-Qwen, e5-mistral: a decoder GGUF with
/// <c>{arch}.pooling_type</c> = last): each sequence runs causally through the decoder once and its vector is the last
/// token's hidden state after the final norm, as llama.cpp pools it. A decoder reranker (Qwen3-Reranker: pooling_type
/// rank and a <c>cls.output</c> head, the rows of the "yes"/"no" tokens of the language-model head) scores that same
/// last-token state through the head: the output is the head's logits, softmaxed for qwen3 as llama.cpp does.
/// All sequences of a call share one forward pass;
/// each gets its own run of KV blocks for that pass only (nothing is kept between calls). The KV cache grows to the
/// largest call seen, which the embedding engine bounds by its token budget or one sequence's context.</summary>
public sealed class DecoderEmbeddingModel : IEmbeddingModel
{
    private const int BlockSize = 16;
    private readonly DecoderModel _model;
    private readonly RankHead? _head;
    private int _allocatedBlocks;
    private float[] _hidden = [];

    /// <param name="file">The model's GGUF, read for the rank head (<c>cls.output.weight</c>, optional
    /// <c>cls.output.bias</c>) when the pooling is rank.</param>
    public DecoderEmbeddingModel(DecoderModel model, PoolingType pooling, GgufFile? file = null)
    {
        var hp = model.Hyperparameters;
        if (pooling == PoolingType.Rank)
            _head = RankHead.Load(file ?? throw new ArgumentNullException(nameof(file), "a rank-pooling decoder needs its GGUF for the head"),
                hp.Architecture, hp.EmbeddingLength);
        else if (pooling != PoolingType.Last)
            throw new NotSupportedException($"{hp.Architecture} embedding models with {pooling.ToString().ToLowerInvariant()} pooling are not supported (decoders: last-token pooling, or rank with a cls.output head)");
        _model = model;
        Shape = new EmbeddingShape(hp.Architecture, hp.VocabSize, hp.ContextLength, hp.EmbeddingLength, _head?.Outputs ?? hp.EmbeddingLength, pooling);
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
        var batch = new ForwardBatch(tokens.ToArray(), positions, slots, slices);
        if (_head is null)
        {
            _model.ForwardHidden(batch, output);
            return;
        }
        int d = _model.Hyperparameters.EmbeddingLength;
        if (_hidden.Length < lengths.Length * d) _hidden = new float[lengths.Length * d];
        _model.ForwardHidden(batch, _hidden);
        for (int i = 0; i < lengths.Length; i++)
            _head.Apply(_hidden.AsSpan(i * d, d), output.Slice(i * _head.Outputs, _head.Outputs));
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>A decoder reranker's classification head, dequantized at load (a few rows): logits = W·h (+ b), softmaxed
/// for the architectures llama.cpp softmaxes (qwen3, qwen3vl).</summary>
internal sealed class RankHead(float[] weight, float[]? bias, int outputs, int width, bool softmax)
{
    public int Outputs => outputs;

    public static RankHead Load(GgufFile file, string architecture, int width)
    {
        if (!file.TryGetTensor("cls.output.weight", out var w))
            throw new NotSupportedException($"{file.Path}: a {architecture} model with rank pooling needs a cls.output.weight classification head");
        if (w.RowLength != width)
            throw new NotSupportedException($"{file.Path}: cls.output.weight rows have {w.RowLength} values; the model's hidden size is {width}");
        var bias = file.TryGetTensor("cls.output.bias", out var b) ? Dequantizer.DequantizeTensor(file, b) : null;
        if (bias is not null && bias.Length != w.RowCount)
            throw new NotSupportedException($"{file.Path}: cls.output.bias has {bias.Length} values for {w.RowCount} outputs");
        return new RankHead(Dequantizer.DequantizeTensor(file, w), bias, checked((int)w.RowCount), width,
            softmax: architecture is "qwen3" or "qwen3vl");
    }

    public void Apply(ReadOnlySpan<float> hidden, Span<float> output)
    {
        for (int o = 0; o < outputs; o++)
            output[o] = System.Numerics.Tensors.TensorPrimitives.Dot(weight.AsSpan(o * width, width), hidden) + (bias?[o] ?? 0);
        if (softmax) System.Numerics.Tensors.TensorPrimitives.SoftMax(output, output);
    }
}
