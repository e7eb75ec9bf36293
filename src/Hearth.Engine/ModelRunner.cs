using Hearth.Engine.Models;

namespace Hearth.Engine;

/// <summary>The only engine part that talks to the model: turns a <see cref="ScheduledBatch"/> into a flattened
/// <see cref="ForwardBatch"/> (token ids, positions, slot mapping, block tables), runs copy-on-write copies and the
/// forward pass, and samples one token per sequence whose logits were computed (one per choice at a fork; a step whose
/// choices are all plain greedy takes the model's argmax tokens instead, computed on the device where it has one). The
/// grammar masks of constrained sequences are computed on the thread pool during the forward pass. It allocates the
/// model's paged KV cache (and decides its size) when it is built.</summary>
internal sealed class ModelRunner
{
    private readonly IForwardModel _model;
    private readonly Sampler _sampler;
    private readonly int _blockSize;
    private readonly int _vocab;
    private float[] _logits = [];
    private int[] _greedy = [];

    public ModelRunner(IForwardModel model, Sampler sampler, EngineOptions options)
    {
        _model = model;
        _sampler = sampler;
        _blockSize = options.BlockSize;
        _vocab = model.Shape.VocabSize;
        int contextLength = model.Shape.ContextLength;
        int maxLength = Math.Min(options.MaxModelLength ?? contextLength, contextLength);
        int layers = model.Shape.LayerCount;
        var (layerGroup, windows) = KvCacheLayout.Group(model.SlidingWindows, layers, options.FreeSlidingWindowBlocks);
        long perToken = model.KvBytesPerTokenFor(options.KvCacheType);
        var bytes = new long[windows.Length];
        foreach (int g in layerGroup) bytes[g] += perToken / Math.Max(1, layers);
        if (windows.Length == 1) bytes[0] = perToken;
        var counts = KvCacheSizing.BlockCounts(options, windows, bytes, maxLength);
        Layout = new KvCacheLayout(_blockSize, options.KvCacheType, layerGroup, windows, counts);
        GroupBytesPerToken = bytes;
        // One sequence must always fit in the pool on its own, or it could never be scheduled (a sliding group's pool
        // holds a window and a step whatever the length).
        long fits = maxLength;
        for (int g = 0; g < windows.Length; g++)
            if (windows[g] == 0) fits = Math.Min(fits, (long)counts[g] * _blockSize);
        MaxModelLength = (int)fits;
        model.AllocateKvCache(Layout);
    }

    /// <summary>The KV cache allocated in the model: its groups and each group's blocks (the BlockManager's pools).</summary>
    public KvCacheLayout Layout { get; }

    /// <summary>Per KV-cache group: bytes one token takes in its layers.</summary>
    public IReadOnlyList<long> GroupBytesPerToken { get; }

    /// <summary>Longest prompt + completion: the model context, capped by what the KV pool holds.</summary>
    public int MaxModelLength { get; }

    /// <summary>Checks draft tokens (speculative decoding); null when the engine does not speculate.</summary>
    public Speculative.DraftVerifier? Verifier { get; set; }

    /// <summary>Tokens computed by forward passes so far (prompt chunks, recomputation and decode tokens).</summary>
    public long TokensComputed { get; private set; }

    public RunnerOutput Run(ScheduledBatch batch)
    {
        if (batch.Copies.Count > 0) CopyBlocks(batch.Copies);
        var forward = BuildForwardBatch(batch);
        int rows = forward.LogitRows;
        if (_logits.Length < rows * _vocab) _logits = new float[rows * _vocab];
        if (AllPlainGreedy(batch))
        {
            if (_greedy.Length < rows) _greedy = new int[rows];
            if (_model.ForwardGreedy(forward, _greedy.AsSpan(0, rows)))
            {
                TokensComputed += forward.TokenCount;
                return GreedyOutput(batch);
            }
        }
        // Grammar masks depend only on tokens already taken: compute them while the model runs.
        var masks = GrammarMasks.Start(batch);
        try
        {
            _model.Forward(forward, _logits.AsSpan(0, rows * _vocab));
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
            var logits = _logits.AsSpan(row * _vocab, _vocab);
            var verified = _logits.AsSpan(row * _vocab, item.LogitCount * _vocab);
            row += item.LogitCount;
            try
            {
                if (item.Drafts.Length > 0)
                {
                    samples[i] = Verifier!.Verify(item.Sequence, verified, item.Drafts);
                    continue;
                }
                // At a fork every choice draws its first token from the same logits with its own RNG.
                var choices = item.Choices;
                var picked = new SampledToken[choices.Count];
                for (int k = 0; k < picked.Length; k++) picked[k] = _sampler.Sample(choices[k], logits);
                samples[i] = picked;
            }
            catch (Exception e)
            {
                errors[i] = "sampling failed: " + e.Message;
            }
        }
        return new RunnerOutput(samples, errors);
    }

    /// <summary>Whether every sampling choice of the step is plain greedy (<see cref="Sampler.IsPlainGreedy"/>) and no
    /// sequence verifies drafts: then the argmax of the raw logits is the whole of sampling, and a model that can take it
    /// where the logits are (<see cref="IForwardModel.ForwardGreedy"/>) returns token ids instead of logits.</summary>
    private static bool AllPlainGreedy(ScheduledBatch batch)
    {
        bool any = false;
        foreach (var item in batch.Sequences)
        {
            if (!item.NeedsLogits) continue;
            if (item.Drafts.Length > 0) return false;
            foreach (var choice in item.Choices)
                if (!Sampler.IsPlainGreedy(choice)) return false;
            any = true;
        }
        return any;
    }

    /// <summary>The step's samples from the argmax tokens: one row per sequence with logits, the same token for every
    /// choice at a fork (greedy choices agree).</summary>
    private RunnerOutput GreedyOutput(ScheduledBatch batch)
    {
        var samples = new IReadOnlyList<SampledToken>?[batch.Sequences.Count];
        int row = 0;
        for (int i = 0; i < batch.Sequences.Count; i++)
        {
            var item = batch.Sequences[i];
            if (!item.NeedsLogits) continue;
            var picked = new SampledToken[item.Choices.Count];
            for (int k = 0; k < picked.Length; k++) picked[k] = new SampledToken(_greedy[row], null);
            samples[i] = picked;
            row++;
        }
        return new RunnerOutput(samples, new string?[batch.Sequences.Count]);
    }

    /// <summary>How many KV blocks to allocate for a model of one KV-cache group with this per-token KV size and context.</summary>
    internal static int KvBlockCount(EngineOptions o, long kvBytesPerToken, int maxModelLength) =>
        KvCacheSizing.BlockCounts(o, [0], [kvBytesPerToken], maxModelLength)[0];

    private void CopyBlocks(IReadOnlyList<KvCopy> copies)
    {
        for (int g = 0; g < Layout.GroupCount; g++)
        {
            var pairs = new List<(int, int)>();
            foreach (var c in copies) if (c.Group == g) pairs.Add((c.Source, c.Destination));
            if (pairs.Count > 0) _model.CopyBlocks(g, pairs.ToArray());
        }
    }

    private ForwardBatch BuildForwardBatch(ScheduledBatch batch)
    {
        int total = batch.TokenCount;
        var tokenIds = new int[total];
        var positions = new int[total];
        var slots = new int[Layout.GroupCount][];
        for (int g = 0; g < slots.Length; g++) slots[g] = new int[total];
        var slices = new SequenceSlice[batch.Sequences.Count];
        int t = 0;
        for (int i = 0; i < slices.Length; i++)
        {
            var item = batch.Sequences[i];
            var tokens = item.Sequence.Tokens;
            int start = t;
            for (int pos = item.Start; pos < item.Start + item.TokenCount; pos++, t++)
            {
                // Past the sequence's tokens come the drafts being verified.
                tokenIds[t] = pos < tokens.Count ? tokens[pos] : item.Drafts[pos - tokens.Count];
                positions[t] = pos;
                for (int g = 0; g < slots.Length; g++)
                    slots[g][t] = item.BlockTables[g][pos / _blockSize] * _blockSize + pos % _blockSize;
            }
            slices[i] = new SequenceSlice(start, item.TokenCount, item.Start + item.TokenCount, item.BlockTable, item.NeedsLogits,
                Math.Max(1, item.LogitCount), item.Sequence.Request.Request.Lora) { BlockTables = item.BlockTables };
        }
        return new ForwardBatch(tokenIds, positions, slots[0], slices) { SlotMappings = slots };
    }
}
