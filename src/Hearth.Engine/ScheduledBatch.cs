namespace Hearth.Engine;

/// <summary>One sequence's share of a step: <see cref="TokenCount"/> tokens starting at position
/// <see cref="Start"/> (= its NumComputed when scheduled), and the block table snapshot they are written through.</summary>
internal sealed record ScheduledSequence(Sequence Sequence, int Start, int TokenCount, bool NeedsLogits, int[] BlockTable);

/// <summary>What the scheduler decided for one step (immutable): which tokens of which sequences to compute, and
/// which KV blocks to copy first (copy-on-write).</summary>
internal sealed record ScheduledBatch(
    IReadOnlyList<ScheduledSequence> Sequences,
    IReadOnlyList<(int Source, int Destination)> Copies,
    int Preempted)
{
    public int TokenCount { get; } = Sequences.Sum(s => s.TokenCount);
    public bool IsEmpty => Sequences.Count == 0;
}

/// <summary>What the model runner produced for a batch (immutable): per scheduled sequence, the sampled tokens
/// (one per sequence, or one per choice when the request forks at this step), or the error that sampling raised.</summary>
internal sealed record RunnerOutput(IReadOnlyList<IReadOnlyList<SampledToken>?> Samples, IReadOnlyList<string?> Errors);

/// <summary>A delta for the request with engine key <paramref name="RequestKey"/>; <paramref name="RequestFinished"/>
/// marks the request's last delta.</summary>
public sealed record RequestOutput(long RequestKey, GenerationDelta Delta, bool RequestFinished);
