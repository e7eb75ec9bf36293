using Hearth.Engine.Models;

namespace Hearth.Engine.Tests.Models;

/// <summary>Drives one sequence through a model with a contiguous-but-shuffled block table (test helper).</summary>
internal sealed class SingleSequence
{
    private readonly IForwardModel _model;
    private readonly int _blockSize;
    private readonly int[] _blockTable;
    private int _length;

    public SingleSequence(IForwardModel model, int blockSize, int[] blockTable)
    {
        _model = model;
        _blockSize = blockSize;
        _blockTable = blockTable;
    }

    public int Length => _length;

    /// <summary>The LoRA adapters this sequence's tokens run with (null: the base model).</summary>
    public Hearth.Engine.Lora.LoraSelection? Lora { get; set; }

    /// <summary>Appends tokens in one Forward and returns the logits of the last one.</summary>
    public float[] Append(ReadOnlySpan<int> tokens)
    {
        var batch = BatchFor(tokens.ToArray(), 0, needsLogits: true);
        var logits = new float[_model.Shape.VocabSize];
        _model.Forward(batch, logits);
        _length += tokens.Length;
        return logits;
    }

    /// <summary>The batch slice this sequence would contribute for <paramref name="tokens"/> starting at flattened index <paramref name="tokenStart"/>.</summary>
    public ForwardBatch BatchFor(int[] tokens, int tokenStart, bool needsLogits)
    {
        var positions = new int[tokens.Length];
        var slots = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            int p = _length + i;
            positions[i] = p;
            slots[i] = _blockTable[p / _blockSize] * _blockSize + p % _blockSize;
        }
        return new ForwardBatch(tokens, positions, slots,
            [new SequenceSlice(tokenStart, tokens.Length, _length + tokens.Length, _blockTable, needsLogits, Lora: Lora)]);
    }

    public void Advance(int count) => _length += count;

    public int[] BlockTable => _blockTable;
}
