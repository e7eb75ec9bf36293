namespace Hearth.Engine;

/// <summary>One sequence's share of a step: <see cref="TokenCount"/> tokens starting at position
/// <see cref="Start"/> (= its NumComputed when scheduled), the block table of each KV-cache group they are written
/// through (the tables' own arrays, unchanged until the step is done; entries a sliding window has passed are
/// <see cref="BlockPool.NullBlock"/>), and
/// <see cref="Choices"/>: the sequences that sample a token from its logits — none while its prompt is still being
/// computed, itself, or every choice of its request at the step where the request forks (n &gt; 1). The runner
/// samples exactly these; it never reads fork state.</summary>
internal sealed record ScheduledSequence(Sequence Sequence, int Start, int TokenCount, int[][] BlockTables, IReadOnlyList<Sequence> Choices)
{
    /// <summary>The first KV-cache group's table.</summary>
    public int[] BlockTable => BlockTables[0];

    public bool NeedsLogits => Choices.Count > 0;

    /// <summary>Draft tokens appended after the sequence's last token (speculative decoding; they are the last
    /// <c>Drafts.Length</c> of <see cref="TokenCount"/>): the step computes logits for each of them and for the token
    /// before them, and the runner verifies them.</summary>
    public int[] Drafts { get; init; } = [];

    /// <summary>Logits rows this sequence gets: 1 + drafts when it samples, else 0.</summary>
    public int LogitCount => NeedsLogits ? 1 + Drafts.Length : 0;
}

/// <summary>What the scheduler decided for one step (immutable): which tokens of which sequences to compute, which
/// KV blocks to copy first (copy-on-write), and which requests left the waiting queue (first admission).</summary>
internal sealed record ScheduledBatch(
    IReadOnlyList<ScheduledSequence> Sequences,
    IReadOnlyList<KvCopy> Copies,
    int Preempted,
    IReadOnlyList<long> Admitted)
{
    public int TokenCount { get; } = SumTokens(Sequences);
    public bool IsEmpty => Sequences.Count == 0;

    private static int SumTokens(IReadOnlyList<ScheduledSequence> sequences)
    {
        int total = 0;
        for (int i = 0; i < sequences.Count; i++) total += sequences[i].TokenCount;
        return total;
    }
}

/// <summary>What the model runner produced for a batch (immutable): per scheduled sequence, the sampled tokens
/// (one per entry of its <see cref="ScheduledSequence.Choices"/>; with drafts, the tokens the verification emitted in
/// order: the accepted drafts then the correction or bonus token), or the error that sampling raised, as a value that
/// fails only the request it belongs to.</summary>
internal sealed record RunnerOutput(IReadOnlyList<IReadOnlyList<SampledToken>?> Samples, IReadOnlyList<string?> Errors);

/// <summary>What one engine step did: the engine keys of the requests it admitted (they left the waiting queue) and
/// the deltas it produced. Returned by <see cref="LlmEngine.Step"/>; no callbacks.</summary>
public sealed record StepResult(IReadOnlyList<long> Admitted, IReadOnlyList<RequestOutput> Outputs)
{
    public static StepResult Empty { get; } = new([], []);
}

/// <summary>A delta for the request with engine key <paramref name="RequestKey"/>; <paramref name="RequestFinished"/>
/// marks the request's last delta.</summary>
public sealed record RequestOutput(long RequestKey, GenerationDelta Delta, bool RequestFinished);
