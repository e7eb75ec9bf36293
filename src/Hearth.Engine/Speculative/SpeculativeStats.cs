namespace Hearth.Engine.Speculative;

/// <summary>Counters of speculative verification over an engine's life (vLLM's spec_decode_* series): verification
/// steps with drafts, draft tokens offered, accepted, and accepted per draft position (position i counts the steps
/// whose first i + 1 drafts were all accepted). Written by the engine thread, read by any thread.</summary>
internal sealed class SpeculativeStats(string method, int maxDrafts)
{
    private readonly long[] _acceptedAt = new long[Math.Max(1, maxDrafts)];
    private long _drafts, _draftTokens, _accepted;

    public void Record(int drafted, int accepted)
    {
        Interlocked.Increment(ref _drafts);
        Interlocked.Add(ref _draftTokens, drafted);
        Interlocked.Add(ref _accepted, accepted);
        for (int i = 0; i < Math.Min(accepted, _acceptedAt.Length); i++) Interlocked.Increment(ref _acceptedAt[i]);
    }

    public SpeculativeDecodingStats Snapshot() => new(method, Interlocked.Read(ref _drafts), Interlocked.Read(ref _draftTokens),
        Interlocked.Read(ref _accepted), Enumerable.Range(0, _acceptedAt.Length).Select(i => Interlocked.Read(ref _acceptedAt[i])).ToArray());
}

/// <summary>Speculative decoding counters at one moment. Acceptance rate = AcceptedTokens / DraftTokens; mean accepted
/// length = 1 + AcceptedTokens / Drafts (tokens emitted per verification step).</summary>
/// <param name="Method">ngram or draft.</param>
/// <param name="Drafts">Verification steps that carried drafts.</param>
/// <param name="DraftTokens">Draft tokens verified.</param>
/// <param name="AcceptedTokens">Draft tokens accepted.</param>
/// <param name="AcceptedPerPosition">Index i: steps whose draft at position i was accepted.</param>
public sealed record SpeculativeDecodingStats(string Method, long Drafts, long DraftTokens, long AcceptedTokens, long[] AcceptedPerPosition)
{
    public double AcceptanceRate => DraftTokens == 0 ? 0 : (double)AcceptedTokens / DraftTokens;
    public double MeanAcceptedLength => Drafts == 0 ? 0 : 1 + (double)AcceptedTokens / Drafts;
}
