using System.Runtime.InteropServices;

namespace Hearth.Engine;

/// <summary>A sampled token and, when asked for, its log-probability with the top alternatives.</summary>
internal readonly record struct SampledToken(int TokenId, TokenLogprob? Logprob);

/// <summary>Picks the next token of one sequence from one row of logits. Order: repetition, frequency and presence
/// penalties; min-tokens suppression of end/stop tokens; then greedy argmax (temperature 0, lowest id on ties) or
/// temperature scaling, min-p, top-k, top-p and a draw from the sequence's own RNG. Logprobs are the log-softmax of
/// the processed logits after penalties and temperature, before the min-p/top-k/top-p cut (temperature 0 counts as 1),
/// so alternatives outside the cut still get finite values. A sequence under a grammar first has every token its
/// mask disallows set to -inf. Reuses its buffers: one Sampler per engine thread.</summary>
internal sealed class Sampler
{
    private readonly int _vocab;
    private readonly bool[] _endOfGeneration;
    private readonly float[] _x;
    private readonly float[] _p;
    private readonly int[] _order;
    private readonly int[] _counts;
    private readonly ProbabilityOrder _byProbability;

    public Sampler(int vocabSize, bool[] endOfGeneration)
    {
        _vocab = vocabSize;
        _endOfGeneration = endOfGeneration;
        _x = new float[vocabSize];
        _p = new float[vocabSize];
        _order = new int[vocabSize];
        _counts = new int[vocabSize];
        _byProbability = new ProbabilityOrder(_p);
    }

    /// <summary>True when sampling this sequence's next token is the argmax of the raw logits: temperature 0, no grammar,
    /// penalties, logit bias or min-tokens suppression in effect, and no logprobs asked for.</summary>
    internal static bool IsPlainGreedy(Sequence seq)
    {
        var p = seq.Request.Sampling;
        return p.Temperature == 0 && seq.Grammar is null && p.RepetitionPenalty == 1f && p.FrequencyPenalty == 0f
            && p.PresencePenalty == 0f && p.LogitBias.Count == 0 && p.Logprobs is null && seq.OutputLength >= p.MinTokens;
    }

    public SampledToken Sample(Sequence seq, ReadOnlySpan<float> logits)
    {
        var p = seq.Request.Sampling;
        var x = Process(seq, logits);
        int token = p.Temperature == 0 ? ArgMax(x) : Draw(x, p, seq.Rng);
        return Result(x, token, p);
    }

    /// <summary>The token with its logprobs (when asked for) from logits <see cref="Process"/> returned.</summary>
    internal SampledToken Result(ReadOnlySpan<float> x, int token, SamplingParams p) =>
        new(token, p.Logprobs is int n ? Logprobs(x, token, n) : null);

    /// <summary>The logits after mask, penalties, bias, min-tokens and temperature (temperature 0 leaves them unscaled):
    /// what greedy takes the argmax of and sampling draws from. Valid until the next call.</summary>
    internal Span<float> Process(Sequence seq, ReadOnlySpan<float> logits)
    {
        var p = seq.Request.Sampling;
        var x = _x.AsSpan();
        logits[.._vocab].CopyTo(x);
        if (seq.Mask is { } mask) ApplyMask(mask, x);
        ApplyPenalties(seq, p, x);
        var bias = p.LogitBias;
        for (int i = 0; i < bias.Count; i++) x[bias[i].TokenId] += bias[i].Bias; // -inf (disallowed) stays -inf
        // Under a grammar, the grammar decides where the output may end (min_tokens does not override it).
        if (seq.OutputLength < p.MinTokens && seq.Grammar is null) SuppressEnds(p, x);

        if (p.Temperature > 0 && p.Temperature != 1f)
        {
            float inv = 1f / p.Temperature;
            for (int i = 0; i < x.Length; i++) x[i] *= inv;
        }
        return x;
    }

    /// <summary>The distribution <see cref="Draw"/> samples from, normalised: softmax of the processed logits cut by
    /// min-p, top-k and top-p exactly as Draw cuts them (zero outside the cut). Speculative verification accepts and
    /// resamples against it.</summary>
    internal void Distribution(ReadOnlySpan<float> x, SamplingParams p, Span<float> dist)
    {
        float max = x[ArgMax(x)];
        for (int i = 0; i < x.Length; i++) dist[i] = MathF.Exp(x[i] - max);
        if (p.TopK > 0 || p.TopP < 1f || p.MinP > 0f)
        {
            int n = 0;
            float floor = p.MinP > 0 ? p.MinP : 0f;
            for (int i = 0; i < dist.Length; i++)
                if (dist[i] >= floor && dist[i] > 0) _order[n++] = i;
            var order = _order.AsSpan(0, n);
            dist.CopyTo(_p);
            order.Sort(_byProbability);
            if (p.TopK > 0 && p.TopK < n) order = order[..p.TopK];
            if (p.TopP < 1f)
            {
                double total = 0;
                foreach (int t in order) total += dist[t];
                double kept = 0, limit = p.TopP * total;
                int keep = 0;
                while (keep < order.Length && (keep == 0 || kept < limit)) kept += dist[order[keep++]];
                order = order[..keep];
            }
            dist.Clear();
            foreach (int t in order) dist[t] = _p[t];
        }
        double sum = 0;
        foreach (float v in dist) sum += v;
        float inv = (float)(1 / sum);
        for (int i = 0; i < dist.Length; i++) dist[i] *= inv;
    }

    /// <summary>Disallowed tokens get -inf, so penalties, temperature and the cuts only ever see allowed ones.</summary>
    private static void ApplyMask(ulong[] mask, Span<float> x)
    {
        bool any = false;
        for (int w = 0; w < mask.Length; w++)
        {
            ulong bits = mask[w];
            if (bits != 0) any = true;
            if (bits == ulong.MaxValue) continue;
            int end = Math.Min(x.Length, (w + 1) * 64);
            for (int t = w * 64; t < end; t++)
                if ((bits >> (t & 63) & 1) == 0) x[t] = float.NegativeInfinity;
        }
        if (!any) throw new InvalidOperationException("the output grammar allows no token of this vocabulary here");
    }

    private void ApplyPenalties(Sequence seq, SamplingParams p, Span<float> x)
    {
        bool repetition = p.RepetitionPenalty != 1f;
        bool additive = p.FrequencyPenalty != 0f || p.PresencePenalty != 0f;
        if (!repetition && !additive) return;
        var tokens = CollectionsMarshal.AsSpan(seq.Tokens);
        // Counts of output tokens, plus a mark for prompt tokens (repetition penalty covers both, HF style).
        const int PromptMark = 1 << 30;
        for (int i = 0; i < tokens.Length; i++)
        {
            int t = tokens[i];
            if ((uint)t >= (uint)_vocab) continue;
            if (i < seq.PromptLength) _counts[t] |= PromptMark; else _counts[t]++;
        }
        for (int i = 0; i < tokens.Length; i++)
        {
            int t = tokens[i];
            if ((uint)t >= (uint)_vocab || _counts[t] == 0) continue;
            int outputCount = _counts[t] & (PromptMark - 1);
            if (repetition) x[t] = x[t] > 0 ? x[t] / p.RepetitionPenalty : x[t] * p.RepetitionPenalty;
            if (outputCount > 0) x[t] -= p.FrequencyPenalty * outputCount + p.PresencePenalty;
            _counts[t] = 0; // each distinct token once
        }
    }

    private void SuppressEnds(SamplingParams p, Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
            if (_endOfGeneration[i]) x[i] = float.NegativeInfinity;
        foreach (int t in p.StopTokenIds)
            if ((uint)t < (uint)x.Length) x[t] = float.NegativeInfinity;
    }

    internal static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i; // strict: the lowest id wins ties
        return best;
    }

    private int Draw(ReadOnlySpan<float> x, SamplingParams p, Xoshiro256 rng)
    {
        float max = x[ArgMax(x)];
        var probs = _p.AsSpan();
        for (int i = 0; i < x.Length; i++) probs[i] = MathF.Exp(x[i] - max); // unnormalised; the max is 1
        double u = rng.NextDouble();
        if (p.TopK <= 0 && p.TopP >= 1f && p.MinP <= 0f) return Walk(probs, u);

        // Candidates passing min-p (relative to the most likely token), most likely first, ties by lower id.
        int n = 0;
        float floor = p.MinP > 0 ? p.MinP : 0f;
        for (int i = 0; i < probs.Length; i++)
            if (probs[i] >= floor && probs[i] > 0) _order[n++] = i;
        var order = _order.AsSpan(0, n);
        order.Sort(_byProbability);
        if (p.TopK > 0 && p.TopK < n) order = order[..p.TopK];
        double total = 0;
        foreach (int t in order) total += probs[t];
        if (p.TopP < 1f)
        {
            double kept = 0, limit = p.TopP * total;
            int keep = 0;
            while (keep < order.Length && (keep == 0 || kept < limit)) kept += probs[order[keep++]];
            order = order[..keep];
            total = kept;
        }
        double target = u * total, acc = 0;
        foreach (int t in order)
        {
            acc += probs[t];
            if (acc > target) return t;
        }
        return order[^1];
    }

    private static int Walk(ReadOnlySpan<float> probs, double u)
    {
        double total = 0;
        foreach (float v in probs) total += v;
        double target = u * total, acc = 0;
        int last = 0;
        for (int i = 0; i < probs.Length; i++)
        {
            if (probs[i] <= 0) continue;
            acc += probs[i];
            last = i;
            if (acc > target) return i;
        }
        return last;
    }

    private static TokenLogprob Logprobs(ReadOnlySpan<float> x, int token, int topN)
    {
        float max = float.NegativeInfinity;
        foreach (float v in x) max = MathF.Max(max, v);
        double sum = 0;
        foreach (float v in x) sum += Math.Exp(v - max);
        float logZ = max + (float)Math.Log(sum);
        var top = new List<TopLogprob>(topN);
        // Selection of the topN largest (n ≤ 20), lowest id first among equals.
        Span<int> best = stackalloc int[Math.Min(topN, x.Length)];
        int filled = 0;
        for (int i = 0; i < x.Length && best.Length > 0; i++)
        {
            if (filled == best.Length && !(x[i] > x[best[filled - 1]])) continue;
            int at = filled < best.Length ? filled++ : filled - 1;
            while (at > 0 && x[i] > x[best[at - 1]]) { best[at] = best[at - 1]; at--; }
            best[at] = i;
        }
        for (int i = 0; i < filled; i++) top.Add(new TopLogprob(best[i], x[best[i]] - logZ));
        return new TokenLogprob(token, x[token] - logZ, top);
    }

    /// <summary>Orders token ids by probability, descending, then by id.</summary>
    private sealed class ProbabilityOrder(float[] probs) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            int c = probs[b].CompareTo(probs[a]);
            return c != 0 ? c : a.CompareTo(b);
        }
    }
}
