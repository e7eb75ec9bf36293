namespace Hearth.Engine.Speculative;

/// <summary>Joins the deltas of the tokens one speculative step emitted for a sequence into one delta, so that a
/// stream gets one chunk per step as without speculation (just with several tokens in it).</summary>
internal static class DeltaMerge
{
    public static GenerationDelta Merge(IReadOnlyList<GenerationDelta> deltas)
    {
        if (deltas.Count == 1) return deltas[0];
        var last = deltas[^1];
        var tokens = new List<int>(deltas.Count);
        var text = new System.Text.StringBuilder();
        List<TokenLogprob>? logprobs = null;
        TimeSpan? queueTime = null;
        foreach (var d in deltas)
        {
            tokens.AddRange(d.TokenIds);
            text.Append(d.Text);
            if (d.Logprobs is { } lp) (logprobs ??= []).AddRange(lp);
            queueTime ??= d.QueueTime;
        }
        return last with { TokenIds = tokens, Text = text.ToString(), Logprobs = logprobs, QueueTime = queueTime };
    }
}
