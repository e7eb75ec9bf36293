using Hearth.Engine.Speculative;

namespace Hearth.Engine.Tests.Speculative;

/// <summary>The per-sequence draft length and switch-off: a probe of one draft that doubles while every draft is taken
/// and shrinks to what was taken; a miss pauses for ⌈next probe's cost / budget⌉ steps (at once when nothing was ever
/// accepted, from the second miss in a row otherwise), doubling from the third; drafts that are taken but do not pay
/// pause briefly; the measured cost per draft position; prompt lookup of the n-gram proposer.</summary>
public class AdaptiveSwitchTests
{
    private const int K = 8;

    [Fact]
    public void DraftLengthStartsAtOneDoublesWhileAcceptedAndShrinksToWhatWasTaken()
    {
        var state = new SpeculationState();
        Assert.Equal(1, state.Length);
        AdaptiveSwitch.Record(state, 1, 1, 0.05, 0.2, K);
        Assert.Equal(2, state.Length);
        AdaptiveSwitch.Record(state, 2, 2, 0.05, 0.2, K);
        AdaptiveSwitch.Record(state, 4, 4, 0.05, 0.2, K);
        Assert.Equal(8, state.Length);
        AdaptiveSwitch.Record(state, 8, 8, 0.05, 0.2, K);
        Assert.Equal(K, state.Length); // never past k
        AdaptiveSwitch.Record(state, 2, 2, 0.05, 0.2, K);
        Assert.Equal(K, state.Length); // the proposer found only two, both taken: no reason to shrink
        AdaptiveSwitch.Record(state, 8, 3, 0.05, 0.2, K);
        Assert.Equal(4, state.Length); // 3 taken: 3 + 1 next time
        Assert.Equal(0, state.PausedSteps);
    }

    [Fact]
    public void NeverAcceptedDraftsPauseAtOnceForTheNextProbesCostOverTheBudget()
    {
        // A draft position measured at 0.6 plain steps: a probe that misses pauses 0.6 / 0.015 = 40 steps, twice more,
        // then doubling.
        var state = new SpeculationState();
        int[] pauses = [40, 40, 40, 80, 160];
        foreach (int expected in pauses)
        {
            AdaptiveSwitch.Record(state, 1, 0, 0.6, 0.2, K);
            Assert.Equal(expected, state.PausedSteps);
            Assert.Equal(1, state.Length);
            state.PausedSteps = 0;
        }
        for (int i = 0; i < 12; i++) AdaptiveSwitch.Record(state, 1, 0, 0.6, 0.2, K);
        Assert.Equal(AdaptiveSwitch.LongestPause, state.PausedSteps);

        // Prompt lookup on a big model: a miss costs a few hundredths of a step, a step or two of pause.
        var cheap = new SpeculationState();
        AdaptiveSwitch.Record(cheap, 1, 0, 0.02, 0.2, K);
        Assert.Equal(2, cheap.PausedSteps);
    }

    [Fact]
    public void OneMissInsideAcceptedDraftsHalvesTheLengthAndPausesOnlyFromTheSecond()
    {
        var state = new SpeculationState { Length = 8 };
        AdaptiveSwitch.Record(state, 8, 8, 0.3, 0.2, K);
        AdaptiveSwitch.Record(state, 8, 0, 0.3, 0.2, K); // an edit point in copied text
        Assert.Equal(0, state.PausedSteps);
        Assert.Equal(4, state.Length);
        AdaptiveSwitch.Record(state, 4, 0, 0.3, 0.2, K); // the copy is over: pause for a probe of 2 at 0.3 each
        Assert.Equal(40, state.PausedSteps);
        Assert.Equal(2, state.Length);
        state.PausedSteps = 0;
        AdaptiveSwitch.Record(state, 2, 1, 0.3, 0.2, K); // taken again: the run of misses is over
        AdaptiveSwitch.Record(state, 2, 0, 0.3, 0.2, K);
        Assert.Equal(0, state.PausedSteps);
    }

    [Fact]
    public void DraftsTakenButNotPayingPauseBrieflyAndRestartFromAProbe()
    {
        // Half of two drafts taken each step: 1 token gained per step; at 0.75 plain steps a position the step costs 1.5.
        var state = new SpeculationState { Length = 2 };
        for (int i = 0; i < AdaptiveSwitch.Window; i++) AdaptiveSwitch.Record(state, 2, 1, 0.75, 0.2, K);
        Assert.Equal(AdaptiveSwitch.ShortPause, state.PausedSteps);
        Assert.Equal(1, state.Length);
        // The same acceptance at 0.1 a position pays.
        var cheap = new SpeculationState { Length = 2 };
        for (int i = 0; i < AdaptiveSwitch.Window; i++) AdaptiveSwitch.Record(cheap, 2, 1, 0.1, 0.2, K);
        Assert.Equal(0, cheap.PausedSteps);
        Assert.Equal(2, cheap.Length);
    }

    [Fact]
    public void MinimumAcceptanceZeroTurnsTheSwitchOff()
    {
        var off = new SpeculationState();
        for (int i = 0; i < 20; i++) AdaptiveSwitch.Record(off, 4, 0, 9, 0, K);
        Assert.Equal(0, off.PausedSteps);
        Assert.Equal(1, off.Length); // unused: the speculator proposes k when the switch is off
    }

    [Fact]
    public void StepCostIsTheMedianOverheadPerDraftPositionAgainstThePlainStep()
    {
        var costs = new StepCosts();
        Assert.False(costs.HasPlain);
        costs.RecordSpeculative(0.3, 2);
        Assert.Equal(0.25, costs.OverheadPerDraft); // nothing to compare with yet: the prior
        costs.RecordPlain(0.1);
        costs.RecordPlain(5.0); // a step the machine stalled: the median ignores it
        costs.RecordPlain(0.1);
        Assert.Equal(0.1, costs.PlainSeconds);
        costs.RecordSpeculative(0.3, 2);
        Assert.Equal(1.0, costs.OverheadPerDraft, 6); // (3 − 1) / 2
        costs.RecordSpeculative(0.09, 4); // noise: cheaper than plain is floored
        costs.RecordSpeculative(0.15, 1);
        Assert.Equal(0.5, costs.OverheadPerDraft, 6); // median of 1, 0.01, 0.5
    }

    [Theory]
    [InlineData(new[] { 5, 6, 7, 8, 9, 5, 6 }, 3, new[] { 7, 8, 9 })]      // "5 6" seen before: what followed
    [InlineData(new[] { 5, 6, 7, 1, 2, 5, 6, 9, 5, 6 }, 2, new[] { 9, 5 })] // the most recent earlier match
    [InlineData(new[] { 1, 2, 3, 4 }, 3, new int[0])]                       // nothing repeats
    [InlineData(new[] { 4, 4, 4, 4 }, 2, new[] { 4, 4 })]                   // a run of one token
    public void PromptLookupProposesWhatFollowedTheLastNgram(int[] tokens, int k, int[] expected) =>
        Assert.Equal(expected, NgramProposer.Lookup(tokens, k, 2, 4));
}
