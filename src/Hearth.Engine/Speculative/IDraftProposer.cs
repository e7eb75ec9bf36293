namespace Hearth.Engine.Speculative;

/// <summary>Proposes draft tokens for sequences about to decode. <see cref="Propose"/> sets
/// <see cref="SpeculationState.Drafts"/> (at most the given count; none is fine) and, for drafts sampled from a
/// distribution, <see cref="SpeculationState.DraftProbs"/>.</summary>
internal interface IDraftProposer
{
    /// <summary>Name used in metrics (the method label).</summary>
    string Method { get; }

    /// <param name="wanted">Sequences to draft for, each with the most drafts it may take.</param>
    /// <param name="running">Every running sequence (a proposer with per-sequence state drops the others').</param>
    void Propose(IReadOnlyList<(Sequence Sequence, int MaxDrafts)> wanted, IReadOnlyList<Sequence> running);
}
