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
        proposer.Propose(_wanted, running);
    }
}
