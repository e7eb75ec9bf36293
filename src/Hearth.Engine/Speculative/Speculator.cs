namespace Hearth.Engine.Speculative;

/// <summary>Decides, after each step, which running sequences get drafts for the next one and asks the proposer for
/// them. A sequence is offered drafts when it is decoding (one uncomputed token, past its first output token), has
/// no output grammar (constrained sequences decode plainly: their mask for draft position j would depend on the
/// grammar state after the earlier drafts), is not paused by <see cref="AdaptiveSwitch"/>, and has room: at most
/// max_tokens − output − 1 drafts (a step emits up to drafts + 1 tokens) and no draft past the model length. Nobody
/// gets drafts while more than <see cref="EngineOptions.SpeculativeMaxBatchSize"/> sequences run: a big batch is
/// already compute-bound, and verifying k + 1 positions each costs more than the accepted tokens save.</summary>
internal sealed class Speculator(IDraftProposer proposer, EngineOptions options, int maxModelLength)
{
    private readonly List<(Sequence, int)> _wanted = [];
    private double _proposeSeconds;

    /// <summary>Measured cost of steps with drafts against plain steps (the adaptive switch reads it).</summary>
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
            int k = Math.Min(options.NumSpeculativeTokens,
                Math.Min(seq.Request.MaxTokens - seq.OutputLength - 1, maxModelLength - seq.Tokens.Count));
            if (k < 1) continue;
            var state = seq.Speculation ??= new SpeculationState();
            if (state.PausedSteps > 0)
            {
                state.PausedSteps--;
                continue;
            }
            _wanted.Add((seq, k));
        }
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        proposer.Propose(_wanted, running);
        _proposeSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Records a step's forward-and-sample time when it was decode-only (so steps compare like for like),
    /// adding the proposal time that produced its drafts.</summary>
    public void StepTimed(ScheduledBatch batch, double seconds)
    {
        bool drafts = false;
        foreach (var item in batch.Sequences)
        {
            if (!item.NeedsLogits || item.TokenCount != 1 + item.Drafts.Length) return; // prompt tokens in it
            drafts |= item.Drafts.Length > 0;
        }
        Costs.Record(drafts, drafts ? seconds + _proposeSeconds : seconds);
    }
}
