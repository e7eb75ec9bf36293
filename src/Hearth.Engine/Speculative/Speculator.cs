namespace Hearth.Engine.Speculative;

/// <summary>Decides, after each step, which running sequences get drafts for the next one and asks the proposer for
/// them. A sequence is offered drafts when it is decoding (one uncomputed token, past its first output token), has
/// no output grammar (constrained sequences decode plainly: their mask for draft position j would depend on the
/// grammar state after the earlier drafts), is not paused by <see cref="AdaptiveSwitch"/>, and has room: at most
/// its adaptive draft length (<see cref="SpeculationState.Length"/>; k when the switch is off), max_tokens − output − 1
/// drafts (a step emits up to drafts + 1 tokens) and no draft past the model length. With the switch on, nobody gets
/// drafts until a plain decode step has been timed (the scale a verification's cost is judged by). Nobody
/// gets drafts while more than <see cref="EngineOptions.SpeculativeMaxBatchSize"/> sequences run: a big batch is
/// already compute-bound, and verifying k + 1 positions each costs more than the accepted tokens save.</summary>
internal sealed class Speculator(IDraftProposer proposer, EngineOptions options, int maxModelLength)
{
    private readonly List<(Sequence, int)> _wanted = [];
    private double _proposeSeconds;

    private readonly bool _adaptive = options.SpeculativeMinAcceptance > 0;

    /// <summary>Measured cost of a draft position in plain steps (the adaptive switch reads it).</summary>
    public StepCosts Costs { get; } = new();

    public string Method => proposer.Method;
    public IDraftProposer Proposer => proposer;

    public void Propose(IReadOnlyList<Sequence> running)
    {
        _wanted.Clear();
        bool batchTooLarge = running.Count > options.SpeculativeMaxBatchSize;
        foreach (var seq in running)
        {
            if (seq.Speculation is { } old)
            {
                old.Drafts = [];
                old.DraftProbs = null;
            }
            if (batchTooLarge || seq.Status != SequenceStatus.Running || seq.Tokens.Count - seq.NumComputed != 1
                || seq.OutputLength == 0 || seq.Grammar is not null || seq.Request.ForkPending) continue;
            int room = Math.Min(seq.Request.MaxTokens - seq.OutputLength - 1, maxModelLength - seq.Tokens.Count);
            if (room < 1 || _adaptive && !Costs.HasPlain) continue;
            var state = seq.Speculation ??= new SpeculationState();
            if (state.PausedSteps > 0)
            {
                state.PausedSteps--;
                continue;
            }
            _wanted.Add((seq, Math.Min(room, _adaptive ? state.Length : options.NumSpeculativeTokens)));
        }
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        proposer.Propose(_wanted, running);
        _proposeSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>After a step: times it when it was decode-only (so steps compare like for like; a step with drafts
    /// is charged the proposal time that produced them too), then applies each verified sequence's outcome to its
    /// switch at the cost just measured.</summary>
    public void StepDone(ScheduledBatch batch, double seconds)
    {
        bool decodeOnly = true;
        int mostDrafts = 0;
        foreach (var item in batch.Sequences)
        {
            decodeOnly &= item.NeedsLogits && item.TokenCount == 1 + item.Drafts.Length;
            mostDrafts = Math.Max(mostDrafts, item.Drafts.Length);
        }
        if (decodeOnly && mostDrafts == 0) Costs.RecordPlain(seconds);
        else if (decodeOnly) Costs.RecordSpeculative(seconds + _proposeSeconds, mostDrafts);
        foreach (var item in batch.Sequences)
        {
            if (item.Sequence.Speculation is not { LastVerified: var (drafted, accepted) } state) continue;
            state.LastVerified = null;
            AdaptiveSwitch.Record(state, drafted, accepted, Costs.OverheadPerDraft, options.SpeculativeMinAcceptance, options.NumSpeculativeTokens);
        }
    }
}
