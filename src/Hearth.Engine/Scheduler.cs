using Hearth.Engine.Speculative;

namespace Hearth.Engine;

/// <summary>Decides, step by step, which tokens to compute (continuous batching), and applies the results.
/// Policy: running sequences first (decode tokens, then unfinished prompt chunks), then waiting sequences in
/// arrival order (FCFS) while the token budget, the sequence cap and the KV blocks allow; a prompt larger than the
/// remaining budget is split across steps (chunked prefill). The budget shrinks while sequences decode, so prompt
/// chunks cannot stretch their inter-token latency (<see cref="StepBudget"/>). When blocks run out, the most recently admitted running
/// sequence is preempted: its blocks are freed and it is recomputed later (its tokens are kept).</summary>
internal sealed class Scheduler(BlockManager blocks, OutputProcessor outputs, EngineOptions options)
{
    private readonly List<Sequence> _running = [];        // admission order
    private readonly LinkedList<Sequence> _waiting = new(); // front is next
    private readonly List<int> _hits = [];
    private readonly StepBudget _budget = new(options);

    public IReadOnlyList<Sequence> Running => _running;
    public long PreemptionsTotal { get; private set; }
    public bool HasWork => _running.Count > 0 || _waiting.Count > 0;

    public void Add(EngineRequest request) => _waiting.AddLast(request.Sequences[0]);

    /// <summary>Teaches the step budget what the step just run cost.</summary>
    public void ObserveStep(int tokens, TimeSpan elapsed) => _budget.Observe(tokens, elapsed);

    /// <summary>Token budget of a step in which <paramref name="decoding"/> sequences decode and
    /// <paramref name="prefilling"/> more have prompt tokens to run (for tests and metrics).</summary>
    public int BudgetFor(int decoding, int prefilling = 0) => _budget.Tokens(decoding, prefilling);

    public ScheduledBatch Schedule()
    {
        int decoding = 0, prefilling = _waiting.Count;
        foreach (var s in _running)
        {
            int remaining = s.Tokens.Count - s.NumComputed;
            if (remaining == 1) decoding++;
            else if (remaining > 1) prefilling++;
        }
        int budget = _budget.Tokens(decoding, prefilling), preempted = 0;
        int chunkCap = options.LongPrefillTokenThreshold > 0 ? options.LongPrefillTokenThreshold : int.MaxValue;
        var picked = new List<(Sequence Seq, int Count)>();
        var copies = new List<KvCopy>();
        List<long>? admitted = null;

        // Phase 1: running sequences. Decode tokens go first so a long prompt chunk never stalls them. Draft tokens
        // (speculative decoding) are decode work the speculator has judged worth its cost: they are bounded by the
        // step's hard cap (leaving one token for each decode still to come) and not charged to the latency budget, so
        // waiting prompts keep the share they would have without speculation (drafts would otherwise starve them).
        int decodesLeft = decoding, room = options.MaxNumBatchedTokens;
        foreach (bool decodes in (ReadOnlySpan<bool>)[true, false])
        {
            for (int i = 0; i < _running.Count && (decodes ? room : Math.Min(budget, room)) > 0; i++)
            {
                var seq = _running[i];
                int remaining = seq.Tokens.Count - seq.NumComputed;
                if (remaining == 0 || (remaining == 1) != decodes) continue;
                int drafts = decodes ? Math.Min(seq.Speculation?.Drafts.Length ?? 0, Math.Max(0, room - decodesLeft)) : 0;
                if (decodes) decodesLeft--;
                int n = decodes ? Math.Min(remaining + drafts, room) : Math.Min(remaining, Math.Min(Math.Min(budget, room), chunkCap));
                bool scheduled = true;
                while (!blocks.TryAppendSlots(seq, n, copies))
                {
                    if (n > remaining)
                    {
                        n = remaining; // drop the drafts before preempting anyone for them
                        continue;
                    }
                    // Out of KV blocks: recompute the newest running sequence later.
                    var victim = _running[^1];
                    int at = picked.FindIndex(p => p.Seq == victim);
                    if (at >= 0) { budget += picked[at].Count; room += picked[at].Count; picked.RemoveAt(at); }
                    Preempt(victim);
                    preempted++;
                    if (victim == seq) { scheduled = false; break; }
                }
                if (!scheduled) break;
                picked.Add((seq, n));
                budget -= Math.Min(n, remaining);
                room -= n;
            }
        }

        // Phase 2: admit waiting sequences in order, unless this step already had to preempt.
        while (preempted == 0 && budget > 0 && room > 0 && _waiting.First is { } node)
        {
            var seq = node.Value;
            int forks = seq.Request.ForkPending ? seq.Request.Sequences.Count - 1 : 0;
            if (_running.Count + 1 + forks > options.MaxNumSeqs) break;
            int hitBlocks = blocks.FindCachedPrefix(seq, _hits);
            int n = Math.Min(seq.Tokens.Count - hitBlocks * blocks.BlockSize, Math.Min(Math.Min(budget, room), chunkCap));
            if (!blocks.TryAllocate(seq, _hits, n)) break; // FCFS: nobody overtakes the head
            _waiting.RemoveFirst();
            seq.Status = SequenceStatus.Running;
            _running.Add(seq);
            if (!seq.Request.Admitted)
            {
                seq.Request.Admitted = true;
                seq.Request.AdmittedAt = DateTimeOffset.UtcNow;
                seq.Request.CachedPromptTokens = seq.NumComputed;
                (admitted ??= []).Add(seq.Request.Key);
            }
            picked.Add((seq, n));
            budget -= n;
            room -= n;
        }

        var items = picked.ConvertAll(p => new ScheduledSequence(
            p.Seq, p.Seq.NumComputed, p.Count, blocks.StepTables(p.Seq), ChoicesSampled(p.Seq, p.Count))
        {
            Drafts = SpeculationState.DraftsScheduled(p.Seq, p.Count),
        });
        return new ScheduledBatch(items, copies, preempted, admitted ?? []);
    }

    /// <summary>Who samples from the logits of a sequence's last scheduled token: nobody until its prompt is computed;
    /// at the step that completes a forking request's prompt, every choice (they share those logits); else itself.</summary>
    private static IReadOnlyList<Sequence> ChoicesSampled(Sequence seq, int count)
    {
        if (seq.NumComputed + count < seq.Tokens.Count) return [];
        return seq.Request.ForkPending ? seq.Request.Sequences : [seq];
    }

    /// <summary>Applies a step's results: computed counts, prefix-cache commits, sampled tokens, forks, finishes.</summary>
    public List<RequestOutput> Postprocess(ScheduledBatch batch, RunnerOutput output)
    {
        var results = new List<RequestOutput>();
        for (int i = 0; i < batch.Sequences.Count; i++)
        {
            var item = batch.Sequences[i];
            var seq = item.Sequence;
            if (seq.Status != SequenceStatus.Running) continue; // its request failed earlier in this loop
            try
            {
                if (output.Errors[i] is { } error)
                {
                    Fail(seq.Request, FinishReason.Error, error, results);
                    continue;
                }
                if (item.Drafts.Length > 0)
                {
                    AppendVerified(item, output.Samples[i]!, results); // sets what was computed once drafts are judged
                    continue;
                }
                seq.NumComputed = item.Start + item.TokenCount;
                blocks.Commit(seq);
                if (!item.NeedsLogits) continue;
                var samples = output.Samples[i]!;
                if (item.Choices.Count > 1) ForkChoices(seq, samples, results);
                else Append(seq, samples[0], results);
            }
            catch (Exception e)
            {
                Fail(seq.Request, FinishReason.Error, e.Message, results);
            }
        }
        return results;
    }

    /// <summary>Ends every unfinished choice of a request (cancelled or failed) and frees its blocks at once.</summary>
    public void Fail(EngineRequest request, FinishReason reason, string? error, List<RequestOutput> results)
    {
        foreach (var seq in request.Sequences)
        {
            if (seq.Status == SequenceStatus.Finished) continue;
            if (seq.Status == SequenceStatus.Waiting) _waiting.Remove(seq);
            seq.Finish = reason;
            results.Add(Finish(seq, outputs.Final(seq, reason, error)));
        }
    }

    private void ForkChoices(Sequence parent, IReadOnlyList<SampledToken> samples, List<RequestOutput> results)
    {
        var sequences = parent.Request.Sequences;
        for (int k = 1; k < sequences.Count; k++)
        {
            var child = sequences[k];
            blocks.Fork(parent, child);
            child.Status = SequenceStatus.Running;
            _running.Add(child);
        }
        for (int k = 0; k < sequences.Count; k++) Append(sequences[k], samples[k], results);
    }

    private void Append(Sequence seq, SampledToken sample, List<RequestOutput> results)
    {
        seq.Tokens.Add(sample.TokenId);
        var delta = outputs.Process(seq, sample);
        results.Add(seq.Finish is null ? new RequestOutput(seq.Request.Key, delta, false) : Finish(seq, delta));
    }

    /// <summary>Applies a speculative step: the emitted tokens in order until one ends the sequence, as one delta. KV
    /// is kept for the last token and the accepted drafts only; blocks holding nothing but rejected drafts go back to
    /// the pool (the prefix cache only ever sees full blocks of accepted tokens: Commit runs after the rollback).</summary>
    private void AppendVerified(ScheduledSequence item, IReadOnlyList<SampledToken> samples, List<RequestOutput> results)
    {
        var seq = item.Sequence;
        var deltas = new List<GenerationDelta>(samples.Count);
        foreach (var sample in samples)
        {
            seq.Tokens.Add(sample.TokenId);
            deltas.Add(outputs.Process(seq, sample));
            if (seq.Finish is not null) break;
        }
        // Valid KV: the scheduled last token plus the accepted drafts (every emitted token but the last is one).
        seq.NumComputed = Math.Min(item.Start + samples.Count, seq.Tokens.Count - 1);
        blocks.TrimUnused(seq);
        blocks.Commit(seq);
        var delta = DeltaMerge.Merge(deltas);
        results.Add(seq.Finish is null ? new RequestOutput(seq.Request.Key, delta, false) : Finish(seq, delta));
    }

    private RequestOutput Finish(Sequence seq, GenerationDelta delta)
    {
        blocks.Free(seq);
        if (seq.Status == SequenceStatus.Running) _running.Remove(seq);
        seq.Status = SequenceStatus.Finished;
        return new RequestOutput(seq.Request.Key, delta, seq.Request.IsFinished);
    }

    private void Preempt(Sequence seq)
    {
        blocks.Free(seq);
        _running.Remove(seq);
        seq.Status = SequenceStatus.Waiting;
        _waiting.AddFirst(seq); // it arrived before everyone still waiting
        PreemptionsTotal++;
    }
}
