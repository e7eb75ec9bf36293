using Hearth.Engine.Speculative;

namespace Hearth.Engine.Tests.Speculative;

/// <summary>The per-sequence switch-off: judged every 8 drafted tokens; a pause of 16 steps that grows fourfold
/// while no draft is taken, a short one when drafts are taken but do not pay (acceptance or measured cost), reset once
/// they pay; prompt lookup of the n-gram proposer.</summary>
public class AdaptiveSwitchTests
{
    [Fact]
    public void RejectedDraftsPauseSpeculationForGrowingStretches()
    {
        var state = new SpeculationState();
        AdaptiveSwitch.Record(state, 4, 0, 0.2, 1.0);
        Assert.Equal(0, state.PausedSteps); // not judged before 8 drafted tokens
        AdaptiveSwitch.Record(state, 4, 0, 0.2, 1.0);
        Assert.Equal(16, state.PausedSteps);
        state.PausedSteps = 0;
        AdaptiveSwitch.Record(state, 4, 0, 0.2, 1.0);
        AdaptiveSwitch.Record(state, 4, 0, 0.2, 1.0);
        Assert.Equal(64, state.PausedSteps);
        state.PausedSteps = 0;
        AdaptiveSwitch.Record(state, 4, 4, 0.2, 1.0);
        AdaptiveSwitch.Record(state, 4, 3, 0.2, 1.0);
        Assert.Equal(0, state.PausedSteps);
        Assert.Equal(AdaptiveSwitch.FirstPause, state.NextPause);
    }

    [Fact]
    public void DraftsThatCostMoreThanTheyGivePauseEvenWhenOftenAccepted()
    {
        // 50 % acceptance gives 3 tokens per verification step; steps measured at 3.5 plain steps do not pay.
        var state = new SpeculationState();
        AdaptiveSwitch.Record(state, 4, 2, 0.2, 3.5);
        AdaptiveSwitch.Record(state, 4, 2, 0.2, 3.5);
        Assert.Equal(AdaptiveSwitch.ShortPause, state.PausedSteps);
        Assert.Equal(AdaptiveSwitch.FirstPause, state.NextPause); // no growth while drafts are being taken
        var cheap = new SpeculationState();
        AdaptiveSwitch.Record(cheap, 4, 2, 0.2, 1.5);
        AdaptiveSwitch.Record(cheap, 4, 2, 0.2, 1.5);
        Assert.Equal(0, cheap.PausedSteps);
        var off = new SpeculationState();
        AdaptiveSwitch.Record(off, 4, 0, 0, 9);
        AdaptiveSwitch.Record(off, 4, 0, 0, 9);
        Assert.Equal(0, off.PausedSteps);
    }

    [Fact]
    public void StepCostRatioIsOneUntilBothKindsAreMeasured()
    {
        var costs = new StepCosts();
        costs.Record(withDrafts: true, 0.3);
        Assert.Equal(1.0, costs.Ratio);
        costs.Record(withDrafts: false, 0.1);
        Assert.Equal(3.0, costs.Ratio, 6);
    }

    [Theory]
    [InlineData(new[] { 5, 6, 7, 8, 9, 5, 6 }, 3, new[] { 7, 8, 9 })]      // "5 6" seen before: what followed
    [InlineData(new[] { 5, 6, 7, 1, 2, 5, 6, 9, 5, 6 }, 2, new[] { 9, 5 })] // the most recent earlier match
    [InlineData(new[] { 1, 2, 3, 4 }, 3, new int[0])]                       // nothing repeats
    [InlineData(new[] { 4, 4, 4, 4 }, 2, new[] { 4, 4 })]                   // a run of one token
    public void PromptLookupProposesWhatFollowedTheLastNgram(int[] tokens, int k, int[] expected) =>
        Assert.Equal(expected, NgramProposer.Lookup(tokens, k, 2, 4));
}
