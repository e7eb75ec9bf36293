using Hearth.Engine.Models;

namespace Hearth.Engine;

/// <summary>The only engine part that talks to the model: turns a <see cref="ScheduledBatch"/> into a flattened
/// <see cref="ForwardBatch"/> (token ids, positions, slot mapping, block tables), runs copy-on-write copies and the
/// forward pass, and samples one token per sequence whose logits were computed (one per choice at a fork). The
/// grammar masks of constrained sequences are computed on the thread pool during the forward pass.</summary>
internal sealed class ModelRunner(IForwardModel model, Sampler sampler, int blockSize)
{
    private readonly int _vocab = model.Shape.VocabSize;
    private float[] _logits = [];

    /// <summary>Tokens computed by forward passes so far (prompt chunks, recomputation and decode tokens).</summary>
    public long TokensComputed { get; private set; }

    public RunnerOutput Run(ScheduledBatch batch)
    {
        if (batch.Copies.Count > 0) model.CopyBlocks(batch.Copies.ToArray());
        var forward = BuildForwardBatch(batch);
        int rows = forward.LogitRows;
        if (_logits.Length < rows * _vocab) _logits = new float[rows * _vocab];
        // Grammar masks depend only on tokens already taken: compute them while the model runs.
        var masks = GrammarMasks.Start(batch);
        try
        {
            model.Forward(forward, _logits.AsSpan(0, rows * _vocab));
        }
        finally
        {
            masks?.Wait();
        }
        TokensComputed += forward.TokenCount;

        var samples = new IReadOnlyList<SampledToken>?[batch.Sequences.Count];
        var errors = new string?[batch.Sequences.Count];
        int row = 0;
        for (int i = 0; i < batch.Sequences.Count; i++)
        {
            var item = batch.Sequences[i];
            if (!item.NeedsLogits) continue;
            var logits = _logits.AsSpan(row++ * _vocab, _vocab);
            try
            {
                var seq = item.Sequence;
                // At a fork every choice draws its first token from the same logits with its own RNG.
                var choices = seq.Request.ForkPending ? seq.Request.Sequences : [seq];
                var picked = new SampledToken[choices.Count];
                for (int k = 0; k < picked.Length; k++) picked[k] = sampler.Sample(choices[k], logits);
                samples[i] = picked;
            }
            catch (Exception e)
            {
                errors[i] = "sampling failed: " + e.Message;
            }
        }
        return new RunnerOutput(samples, errors);
    }

    private ForwardBatch BuildForwardBatch(ScheduledBatch batch)
    {
        int total = batch.TokenCount;
        var tokenIds = new int[total];
        var positions = new int[total];
        var slots = new int[total];
        var slices = new SequenceSlice[batch.Sequences.Count];
        int t = 0;
        for (int i = 0; i < slices.Length; i++)
        {
            var item = batch.Sequences[i];
            var tokens = item.Sequence.Tokens;
            int start = t;
            for (int pos = item.Start; pos < item.Start + item.TokenCount; pos++, t++)
            {
                tokenIds[t] = tokens[pos];
                positions[t] = pos;
                slots[t] = item.BlockTable[pos / blockSize] * blockSize + pos % blockSize;
            }
            slices[i] = new SequenceSlice(start, item.TokenCount, item.Start + item.TokenCount, item.BlockTable, item.NeedsLogits);
        }
        return new ForwardBatch(tokenIds, positions, slots, slices);
    }
}
