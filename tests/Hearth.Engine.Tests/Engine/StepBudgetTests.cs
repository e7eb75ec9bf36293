using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Engine;

/// <summary>The step token budget that bounds inter-token latency while prompts arrive (<see cref="StepBudget"/>).</summary>
public class StepBudgetTests
{
    [Theory]
    [InlineData(0, 2048)]   // nobody decodes: prompts get the whole budget
    [InlineData(1, 10)]     // 2·1 + (2−1)·8
    [InlineData(16, 40)]    // 2·16 + 8
    [InlineData(1000, 2008)]
    [InlineData(2040, 2048)] // capped by MaxNumBatchedTokens
    public void BudgetKeepsAStepWithinTheRatioOfADecodeOnlyStep(int decoding, int expected)
    {
        var budget = new StepBudget(new EngineOptions { InterTokenLatencyRatio = 2, StepFixedCostTokens = 8, MaxNumBatchedTokens = 2048 });
        Assert.Equal(expected, budget.Tokens(decoding));
    }

    [Theory]
    [InlineData(1, 15, 40)]   // a burst of 16 whose first prompt is done: sized for the 16 that will decode, not 1 (10)
    [InlineData(3, 1, 16)]    // 2·4 + 8
    [InlineData(0, 15, 2048)] // nobody decodes yet: the whole budget
    [InlineData(60, 40, 136)] // no wider than MaxNumSeqs (64): 2·64 + 8
    public void BudgetIsSizedForTheWidthTheBatchIsHeadingTo(int decoding, int prefilling, int expected)
    {
        var budget = new StepBudget(new EngineOptions { InterTokenLatencyRatio = 2, StepFixedCostTokens = 8, MaxNumBatchedTokens = 2048 });
        Assert.Equal(expected, budget.Tokens(decoding, prefilling));
    }

    [Fact]
    public void RatioOneStillLetsPromptsProgressAndZeroTurnsItOff()
    {
        Assert.Equal(6, new StepBudget(new EngineOptions { InterTokenLatencyRatio = 1, StepFixedCostTokens = 8, MaxNumBatchedTokens = 2048 }).Tokens(5));
        Assert.Equal(2048, new StepBudget(new EngineOptions { InterTokenLatencyRatio = 0, StepFixedCostTokens = 8, MaxNumBatchedTokens = 2048 }).Tokens(5));
        Assert.Equal(3 * 4 + 2 * 10, new StepBudget(new EngineOptions { InterTokenLatencyRatio = 3, StepFixedCostTokens = 10, MaxNumBatchedTokens = 2048 }).Tokens(4));
    }

    [Fact]
    public void ArrivingPromptIsChunkedToTheBudgetLeftByTheDecodes()
    {
        var model = new FakeModel();
        var engine = NewEngine(model, new EngineOptions
        {
            NumKvBlocks = 256, BlockSize = 4, MaxNumBatchedTokens = 64, InterTokenLatencyRatio = 2, StepFixedCostTokens = 6,
        });
        for (int i = 0; i < 3; i++) engine.AddRequest(Request(Prompt(5, i), Greedy(20)));
        engine.Step();
        long late = engine.AddRequest(Request(Prompt(40, 9), Greedy(3)));
        for (int i = 0; i < 5; i++) engine.Step();

        Assert.Equal([(5, true), (5, true), (5, true)], model.Batches[0]); // nothing decodes yet: the full 64
        // Three decode and one prompt is coming: budget 2·4 + 6 = 14, so 11 prompt tokens a step, three times, then
        // the last 7 (which sample).
        for (int s = 1; s <= 3; s++) Assert.Equal([(1, true), (1, true), (1, true), (11, false)], model.Batches[s]);
        Assert.Equal([(1, true), (1, true), (1, true), (7, true)], model.Batches[4]);
        Assert.Equal([(1, true), (1, true), (1, true), (1, true)], model.Batches[5]);

        var alone = RunAlone(Request(Prompt(40, 9), Greedy(3)));
        var rest = RunAll(engine);
        Assert.Equal(alone.Tokens[2..], rest[late][0].Tokens); // the chunking changed nothing in its output
    }

    [Fact]
    public void TwoArrivingPromptsShareTheBudgetInArrivalOrder()
    {
        var model = new FakeModel();
        var engine = NewEngine(model, new EngineOptions
        {
            NumKvBlocks = 256, BlockSize = 4, MaxNumBatchedTokens = 64, InterTokenLatencyRatio = 2, StepFixedCostTokens = 10,
        });
        engine.AddRequest(Request(Prompt(3, 1), Greedy(10)));
        engine.Step();
        engine.AddRequest(Request(Prompt(10, 2), Greedy(2)));
        engine.AddRequest(Request(Prompt(10, 3), Greedy(2)));
        for (int i = 0; i < 3; i++) engine.Step();
        // One decodes, two prompts wait: budget 2·3 + 10 = 16: 15 prompt tokens, the first prompt whole, then 5 of the second.
        Assert.Equal([(1, true), (10, true), (5, false)], model.Batches[1]);
        // Now two decode and one prompt is left: budget 2·3 + 10 = 16, the rest of the second prompt (5) fits.
        Assert.Equal([(1, true), (1, true), (5, true)], model.Batches[2]);
        Assert.Equal([(1, true), (1, true)], model.Batches[3]); // the first prompt's request (2 tokens) is done
    }

    [Fact]
    public void LongPrefillThresholdCapsEachPromptsChunk()
    {
        var model = new FakeModel();
        var engine = NewEngine(model, new EngineOptions
        {
            NumKvBlocks = 256, BlockSize = 4, MaxNumBatchedTokens = 64, InterTokenLatencyRatio = 0, LongPrefillTokenThreshold = 8,
        });
        engine.AddRequest(Request(Prompt(30, 1), Greedy(2)));
        engine.AddRequest(Request(Prompt(20, 2), Greedy(2)));
        for (int i = 0; i < 4; i++) engine.Step();
        Assert.Equal([(8, false), (8, false)], model.Batches[0]);
        Assert.Equal([(8, false), (8, false)], model.Batches[1]);
        Assert.Equal([(8, false), (4, true)], model.Batches[2]);
        Assert.Equal([(1, true), (6, true)], model.Batches[3]); // decodes first, then the last 6 of 30
    }

    [Fact]
    public void CostModelLearnsTheFixedCostFromStepsOfDifferentSizes()
    {
        var cost = new StepCostModel(initialFixedCostTokens: 12);
        // 50 ms fixed + 5 ms a token: W = 10 tokens. Steps of one size alone tell nothing.
        for (int i = 0; i < 20; i++) cost.Observe(16, 0.05 + 0.005 * 16);
        Assert.Equal(12, cost.FixedCostTokens);
        for (int i = 0; i < 20; i++) cost.Observe(i % 2 == 0 ? 16 : 48, 0.05 + 0.005 * (i % 2 == 0 ? 16 : 48));
        Assert.Equal(10, cost.FixedCostTokens, 6);
        // A fit that comes out nonsensical (bigger steps faster) keeps the last sensible estimate.
        var noisy = new StepCostModel(12);
        noisy.Observe(8, 0.5);
        noisy.Observe(64, 0.1);
        Assert.Equal(12, noisy.FixedCostTokens);
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NewEngine(options: new EngineOptions { InterTokenLatencyRatio = 0.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NewEngine(options: new EngineOptions { StepFixedCostTokens = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NewEngine(options: new EngineOptions { LongPrefillTokenThreshold = -1 }));
    }
}
