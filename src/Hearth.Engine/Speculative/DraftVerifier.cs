namespace Hearth.Engine.Speculative;

/// <summary>Verifies a sequence's draft tokens against the target's logits for the k + 1 positions of one step
/// (row j predicts the token after the j-th scheduled token). Rows are taken in order, each sampled with the
/// sequence in the state it would have without speculation (the accepted drafts are appended to its tokens for the
/// next row's penalties and min-tokens count, and removed again; the scheduler appends them for real):
/// greedy accepts the draft while it equals the argmax and emits the argmax where it differs; sampling uses the
/// rejection rule of Leviathan et al. / Chen et al. — accept draft d with probability min(1, p(d)/q(d)), else draw
/// from the residual max(0, p − q) renormalised — with p the sampler's own distribution for that row (after
/// penalties, bias, temperature and the min-p/top-k/top-p cut) and q the draft's (a point mass on d for prompt
/// lookup), so each emitted token is distributed exactly as a plain step's. When every draft is accepted the last row
/// gives a bonus token by the ordinary sampler.</summary>
internal sealed class DraftVerifier(Sampler sampler, int vocab, SpeculativeStats stats)
{
    private readonly float[] _dist = new float[vocab];

    /// <summary>The tokens to emit: the accepted drafts, then the correction (or the bonus token).</summary>
    public SampledToken[] Verify(Sequence seq, ReadOnlySpan<float> rows, int[] drafts)
    {
        var q = seq.Speculation?.DraftProbs;
        var emitted = new List<SampledToken>(drafts.Length + 1);
        int added = 0;
        try
        {
            for (int j = 0; ; j++)
            {
                var row = rows.Slice(j * vocab, vocab);
                if (j == drafts.Length)
                {
                    emitted.Add(sampler.Sample(seq, row));
                    break;
                }
                var token = Check(seq, row, drafts[j], q is null ? default : q.AsSpan(j * vocab, vocab));
                emitted.Add(token);
                if (token.TokenId != drafts[j]) break;
                seq.Tokens.Add(token.TokenId);
                added++;
            }
        }
        finally
        {
            seq.Tokens.RemoveRange(seq.Tokens.Count - added, added);
        }
        int accepted = emitted.Count - 1;
        stats.Record(drafts.Length, accepted);
        if (seq.Speculation is { } state) state.LastVerified = (drafts.Length, accepted); // the switch judges it once the step is timed
        return [.. emitted];
    }

    private SampledToken Check(Sequence seq, ReadOnlySpan<float> row, int draft, ReadOnlySpan<float> q)
    {
        var p = seq.Request.Sampling;
        var x = sampler.Process(seq, row);
        if (p.Temperature == 0) return sampler.Result(x, Sampler.ArgMax(x), p);
        var dist = _dist.AsSpan();
        sampler.Distribution(x, p, dist);
        double qd = q.IsEmpty ? 1.0 : q[draft];
        double u = seq.Rng.NextDouble();
        if ((uint)draft < (uint)vocab && qd > 0 && u * qd < dist[draft]) return sampler.Result(x, draft, p);

        // Rejected: draw from max(0, p - q), renormalised.
        if (q.IsEmpty)
        {
            if ((uint)draft < (uint)vocab) dist[draft] = 0;
        }
        else
        {
            for (int i = 0; i < dist.Length; i++) dist[i] = Math.Max(0f, dist[i] - q[i]);
        }
        double total = 0;
        foreach (float v in dist) total += v;
        if (!(total > 0))
        {
            // Only float rounding gets here (a rejection implies p(d) < q(d), hence mass elsewhere): fall back to p
            // without the draft.
            sampler.Distribution(x, p, dist);
            if ((uint)draft < (uint)vocab) dist[draft] = 0;
            total = 0;
            foreach (float v in dist) total += v;
        }
        double target = seq.Rng.NextDouble() * total, acc = 0;
        int token = -1;
        for (int i = 0; i < dist.Length; i++)
        {
            if (dist[i] <= 0) continue;
            acc += dist[i];
            token = i;
            if (acc > target) break;
        }
        if (token < 0) token = Sampler.ArgMax(x);
        return sampler.Result(x, token, p);
    }
}
