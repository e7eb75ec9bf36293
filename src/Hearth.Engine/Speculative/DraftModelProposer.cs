using Hearth.Engine.Models;

namespace Hearth.Engine.Speculative;

/// <summary>Drafts from a small model that shares the target's vocabulary. The draft model keeps its own paged KV
/// cache, one block table per sequence (no prefix caching, no preemption: when its pool is full a sequence simply
/// gets no drafts). Each call runs the draft model k times, batched over the sequences wanting drafts: the first pass
/// feeds each sequence's tokens the draft has not seen (its whole prompt the first time, afterwards the tokens the
/// last step emitted), the next passes feed the previous draft. Before that, the draft's KV is rolled back to the
/// longest prefix of what it was fed that the sequence still has (rejected drafts are dropped). Under greedy the
/// drafts are the draft model's argmax (a point mass); under sampling they are drawn from its softmax at the
/// request's temperature, and that distribution is kept for rejection sampling.</summary>
internal sealed class DraftModelProposer : IDraftProposer
{
    private readonly IForwardModel _draft;
    private readonly int _blockSize;
    private readonly int _vocab;
    private readonly int _maxLength;
    private readonly Stack<int> _free;
    private readonly Dictionary<Sequence, DraftKv> _kv = new(ReferenceEqualityComparer.Instance);
    private float[] _logits = [];

    public DraftModelProposer(IForwardModel draft, int targetVocab, EngineOptions options, int maxModelLength)
    {
        if (draft.Shape.VocabSize != targetVocab)
            throw new ArgumentException($"the draft model's vocabulary ({draft.Shape.VocabSize} tokens) differs from the target's ({targetVocab}); " +
                                        "speculative decoding needs the same tokenizer");
        _draft = draft;
        _blockSize = options.BlockSize;
        _vocab = targetVocab;
        _maxLength = Math.Min(maxModelLength, draft.Shape.ContextLength);
        int blocksPerSeq = (_maxLength + _blockSize - 1) / _blockSize;
        int blocks = options.NumKvBlocks is int n
            ? n
            : Math.Min(ModelRunner.KvBlockCount(options, draft.KvBytesPerToken, _maxLength), blocksPerSeq * options.MaxNumSeqs);
        draft.AllocateKvCache(blocks, _blockSize);
        _free = new Stack<int>(Enumerable.Range(0, blocks).Reverse());
        BlockCount = blocks;
    }

    public string Method => "draft";

    /// <summary>Blocks of the draft model's KV pool, and how many are free (tests check the accounting).</summary>
    public int BlockCount { get; }
    public int FreeBlocks => _free.Count;

    public void Propose(IReadOnlyList<(Sequence Sequence, int MaxDrafts)> wanted, IReadOnlyList<Sequence> running)
    {
        ReleaseFinished(running);
        var active = new List<Pending>(wanted.Count);
        foreach (var (seq, maxDrafts) in wanted)
        {
            int k = Math.Min(maxDrafts, _maxLength - seq.Tokens.Count);
            if (k < 1) continue;
            var kv = _kv.TryGetValue(seq, out var existing) ? existing : _kv[seq] = new DraftKv(Xoshiro256.ForChoice(seq.Request.Sampling.Seed, seq.Index + 1_000_003));
            Rollback(kv, seq);
            // Room for the unseen tokens and the k - 1 drafts fed back.
            if (!Reserve(kv, seq.Tokens.Count + k - 1))
            {
                Release(seq);
                continue;
            }
            bool sampled = seq.Request.Sampling.Temperature > 0;
            active.Add(new Pending(seq, kv, new int[k], sampled ? new float[k * _vocab] : null));
        }
        if (active.Count == 0) return;

        int passes = active.Max(a => a.Drafts.Length);
        for (int pass = 0; pass < passes; pass++)
        {
            var batch = active.Where(a => a.Drafts.Length > pass).ToList();
            Run(batch, pass);
        }
        foreach (var a in active)
        {
            a.Seq.Speculation!.Drafts = a.Drafts;
            a.Seq.Speculation.DraftProbs = a.Probs;
        }
    }

    /// <summary>One draft-model pass: pass 0 feeds each sequence's unseen tokens, pass i &gt; 0 its draft i − 1; the
    /// last position's logits give draft <paramref name="pass"/>.</summary>
    private void Run(List<Pending> batch, int pass)
    {
        var tokenIds = new List<int>();
        var positions = new List<int>();
        var slots = new List<int>();
        var slices = new SequenceSlice[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var (seq, kv, drafts, _) = batch[i];
            int start = tokenIds.Count;
            if (pass == 0)
                for (int p = kv.Fed.Count; p < seq.Tokens.Count; p++) Feed(kv, seq.Tokens[p]);
            else
                Feed(kv, drafts[pass - 1]);
            slices[i] = new SequenceSlice(start, tokenIds.Count - start, kv.Fed.Count, [.. kv.Table], NeedsLogits: true);
        }
        if (_logits.Length < batch.Count * _vocab) _logits = new float[batch.Count * _vocab];
        _draft.Forward(new ForwardBatch([.. tokenIds], [.. positions], [.. slots], slices), _logits.AsSpan(0, batch.Count * _vocab));
        for (int i = 0; i < batch.Count; i++)
        {
            var (seq, kv, drafts, probs) = batch[i];
            var logits = _logits.AsSpan(i * _vocab, _vocab);
            drafts[pass] = probs is null ? Sampler.ArgMax(logits) : Draw(logits, seq.Request.Sampling.Temperature, kv.Rng, probs.AsSpan(pass * _vocab, _vocab));
        }

        void Feed(DraftKv kv, int token)
        {
            int pos = kv.Fed.Count;
            tokenIds.Add(token);
            positions.Add(pos);
            slots.Add(kv.Table[pos / _blockSize] * _blockSize + pos % _blockSize);
            kv.Fed.Add(token);
        }
    }

    /// <summary>Fills <paramref name="q"/> with softmax(logits / T) and draws from it.</summary>
    private static int Draw(ReadOnlySpan<float> logits, float temperature, Xoshiro256 rng, Span<float> q)
    {
        float inv = 1f / temperature, max = float.NegativeInfinity;
        foreach (float v in logits) max = MathF.Max(max, v * inv);
        double sum = 0;
        for (int i = 0; i < q.Length; i++) sum += q[i] = MathF.Exp(logits[i] * inv - max);
        float norm = (float)(1 / sum);
        double target = rng.NextDouble(), acc = 0;
        int token = -1;
        for (int i = 0; i < q.Length; i++)
        {
            q[i] *= norm;
            if (token < 0 && q[i] > 0)
            {
                acc += q[i];
                if (acc > target) token = i;
            }
        }
        return token >= 0 ? token : Sampler.ArgMax(logits);
    }

    /// <summary>Keeps the draft's KV for the longest prefix of what it was fed that the sequence still has, and always
    /// leaves the sequence's last token unfed (its logits give the first draft).</summary>
    private void Rollback(DraftKv kv, Sequence seq)
    {
        int limit = Math.Min(kv.Fed.Count, seq.Tokens.Count - 1);
        int same = Math.Min(kv.Verified, limit);
        while (same < limit && kv.Fed[same] == seq.Tokens[same]) same++;
        kv.Fed.RemoveRange(same, kv.Fed.Count - same);
        kv.Verified = same;
        TrimBlocks(kv, same);
    }

    private bool Reserve(DraftKv kv, int tokens)
    {
        int needed = (tokens + _blockSize - 1) / _blockSize - kv.Table.Count;
        if (needed > _free.Count) return false;
        for (int i = 0; i < needed; i++) kv.Table.Add(_free.Pop());
        return true;
    }

    private void TrimBlocks(DraftKv kv, int tokens)
    {
        int keep = (tokens + _blockSize - 1) / _blockSize;
        while (kv.Table.Count > keep)
        {
            _free.Push(kv.Table[^1]);
            kv.Table.RemoveAt(kv.Table.Count - 1);
        }
    }

    private void ReleaseFinished(IReadOnlyList<Sequence> running)
    {
        if (_kv.Count == 0) return;
        var live = new HashSet<Sequence>(running, ReferenceEqualityComparer.Instance);
        foreach (var seq in _kv.Keys.Where(s => !live.Contains(s)).ToList()) Release(seq);
    }

    private void Release(Sequence seq)
    {
        if (!_kv.Remove(seq, out var kv)) return;
        TrimBlocks(kv, 0);
    }

    private sealed class DraftKv(Xoshiro256 rng)
    {
        public List<int> Fed { get; } = [];
        public List<int> Table { get; } = [];
        /// <summary>Leading fed tokens known to equal the sequence's (they were accepted).</summary>
        public int Verified { get; set; }
        public Xoshiro256 Rng { get; } = rng;
    }

    private sealed record Pending(Sequence Seq, DraftKv Kv, int[] Drafts, float[]? Probs);
}
