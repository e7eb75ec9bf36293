using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Engine;

public class SchedulerTests
{
    [Fact]
    public void AdmitsUpToTheSequenceCapInArrivalOrder()
    {
        var model = new FakeModel();
        var engine = NewEngine(model, new EngineOptions { NumKvBlocks = 64, BlockSize = 4, MaxNumSeqs = 2 });
        long a = engine.AddRequest(Request(Prompt(5, 1), Greedy(3)));
        long b = engine.AddRequest(Request(Prompt(6, 2), Greedy(3)));
        long c = engine.AddRequest(Request(Prompt(7, 3), Greedy(3)));
        engine.Step();
        Assert.Equal([(5, true), (6, true)], model.Batches[0]);
        var results = RunAll(engine);
        Assert.Equal([a, b, c], results.Keys.Order());
        // c only starts once a and b are done (3 steps each), as a 7-token prefill.
        Assert.Equal([(7, true)], model.Batches[3]);
    }

    [Fact]
    public void ChunkedPrefillDoesNotStallRunningDecodes()
    {
        var model = new FakeModel();
        var engine = NewEngine(model, new EngineOptions { NumKvBlocks = 64, BlockSize = 4, MaxNumBatchedTokens = 8 });
        engine.AddRequest(Request(Prompt(4, 1), Greedy(12)));
        engine.Step(); // prefill of the short request
        engine.AddRequest(Request(Prompt(30, 2), Greedy(2)));
        for (int i = 0; i < 5; i++) engine.Step();
        // Every step: the running decode (1 token) first, then up to 7 prompt tokens of the long request.
        Assert.Equal([(1, true), (7, false)], model.Batches[1]);
        Assert.Equal([(1, true), (7, false)], model.Batches[2]);
        Assert.Equal([(1, true), (7, false)], model.Batches[3]);
        Assert.Equal([(1, true), (7, false)], model.Batches[4]);
        Assert.Equal([(1, true), (2, true)], model.Batches[5]); // 28 + 2 = 30: the last chunk samples
        Assert.All(model.Batches, b => Assert.True(b.Sum(s => s.Tokens) <= 8));

        var alone = RunAlone(Request(Prompt(30, 2), Greedy(2)));
        var batched = RunAll(engine);
        Assert.Equal(alone.Tokens[1..], batched[2][0].Tokens); // its first token came out during the 5 steps above
    }

    [Fact]
    public void PreemptionRecomputesAndGivesTheSameOutputs()
    {
        var prompts = Enumerable.Range(0, 6).Select(i => Prompt(6 + i, 10 + i)).ToArray();
        var sampling = new SamplingParams { Temperature = 0.8f, Seed = 7, MaxTokens = 20, IgnoreEos = true };
        var reference = prompts.Select(p => RunAlone(Request(p, sampling))).ToArray();

        // 14 blocks of 4 tokens cannot hold six 26..31-token sequences at once.
        var model = new FakeModel();
        var engine = NewEngine(model, new EngineOptions { NumKvBlocks = 14, BlockSize = 4 });
        var keys = prompts.Select(p => engine.AddRequest(Request(p, sampling))).ToArray();
        var results = RunAll(engine);
        Assert.True(engine.GetStats().PreemptionsTotal > 0);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(reference[i].Tokens, results[keys[i]][0].Tokens);
            Assert.Equal(reference[i].Text, results[keys[i]][0].Text);
        }
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
    }

    [Fact]
    public void SecondRequestWithSharedPrefixComputesFewerTokensAndGivesTheSameOutput()
    {
        int[] first = Prompt(40, 5);
        int[] second = [.. first[..33], 9, 10, 11];
        var engine = NewEngine();
        engine.AddRequest(Request(first, Greedy(4)));
        RunAll(engine);
        long before = engine.TokensComputed;
        long key = engine.AddRequest(Request(second, Greedy(6)));
        var result = RunAll(engine)[key][0];

        Assert.Equal(32, result.Last.CachedPromptTokens); // 8 full blocks of 4
        Assert.Equal(36, result.Last.PromptTokens);
        Assert.Equal(4 + 5, engine.TokensComputed - before); // 4 uncached prompt tokens, then 5 decode steps
        var noCache = RunAlone(Request(second, Greedy(6)), new EngineOptions { NumKvBlocks = 256, BlockSize = 4, EnablePrefixCaching = false });
        Assert.Equal(0, noCache.Last.CachedPromptTokens);
        Assert.Equal(noCache.Tokens, result.Tokens);
        Assert.Equal(32, engine.GetStats().PrefixCacheHits);
    }

    [Fact]
    public void EvictedPrefixNoLongerHits()
    {
        int[] shared = Prompt(17, 9);
        var engine = NewEngine(options: new EngineOptions { NumKvBlocks = 12, BlockSize = 4 });
        engine.AddRequest(Request(shared, Greedy(2)));
        RunAll(engine);
        // Fill the whole pool with other prompts, one at a time: the old entries are evicted.
        for (int i = 0; i < 3; i++)
        {
            engine.AddRequest(Request(Prompt(40, 100 + i), Greedy(4)));
            RunAll(engine);
        }
        long key = engine.AddRequest(Request(shared, Greedy(2)));
        Assert.Equal(0, RunAll(engine)[key][0].Last.CachedPromptTokens);

        // And while it is still cached, it hits.
        long again = engine.AddRequest(Request(shared, Greedy(2)));
        Assert.Equal(16, RunAll(engine)[again][0].Last.CachedPromptTokens);
    }

    [Fact]
    public void ChoicesOfOneRequestShareThePromptAndCopyOnWrite()
    {
        int[] prompt = Prompt(10, 4); // 2.5 blocks: the last is shared and partial
        var sampling = new SamplingParams { Temperature = 1f, Seed = 99, MaxTokens = 12, IgnoreEos = true, N = 3 };
        var model = new FakeModel();
        var engine = NewEngine(model);
        long key = engine.AddRequest(Request(prompt, sampling));
        var choices = RunAll(engine)[key];

        Assert.Equal(1, model.Batches.Count(b => b.Sum(s => s.Tokens) == 10)); // the prompt was computed once
        Assert.Equal(2, model.BlocksCopied); // two of the three choices copied the shared partial block
        for (int k = 0; k < 3; k++)
        {
            // Choice k draws from the RNG seeded as Xoshiro256.ForChoice(99, k); n = 1 with that seed agrees.
            ulong seed = k == 0 ? 99UL : 99UL ^ (0x9E3779B97F4A7C15UL * (ulong)k);
            var alone = RunAlone(Request(prompt, sampling with { N = 1, Seed = seed }));
            Assert.Equal(alone.Tokens, choices[k].Tokens);
            Assert.Equal(12, choices[k].Last.CompletionTokens);
        }
        Assert.NotEqual(choices[0].Tokens, choices[1].Tokens);
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
    }

    [Fact]
    public void SameSeedGivesSameTokensWhateverTheBatch()
    {
        int[] prompt = Prompt(9, 21);
        var sampling = new SamplingParams { Temperature = 1.3f, TopP = 0.9f, TopK = 40, Seed = 1234, MaxTokens = 16, IgnoreEos = true };
        var alone = RunAlone(Request(prompt, sampling));

        var engine = NewEngine(options: new EngineOptions { NumKvBlocks = 256, BlockSize = 4, MaxNumBatchedTokens = 16 });
        for (int i = 0; i < 5; i++) engine.AddRequest(Request(Prompt(7 + i, 50 + i), sampling with { Seed = (ulong)i }));
        long key = engine.AddRequest(Request(prompt, sampling));
        var batched = RunAll(engine);
        Assert.Equal(alone.Tokens, batched[key][0].Tokens);
        var otherSeed = RunAlone(Request(prompt, sampling with { Seed = 1235 }));
        Assert.NotEqual(alone.Tokens, otherSeed.Tokens);
    }

    [Fact]
    public void ModelFailureFailsOnlyTheRequestsInThatBatch()
    {
        var model = new FakeModel();
        var engine = NewEngine(model);
        long good = engine.AddRequest(Request(Prompt(5, 1), Greedy(4)));
        RunAll(engine);
        model.PoisonToken = 63;
        long bad = engine.AddRequest(Request([63, 2, 3], Greedy(4)));
        var results = RunAll(engine);
        Assert.Equal(FinishReason.Error, results[bad][0].Last.Finish);
        Assert.Contains("poisoned batch", results[bad][0].Last.Error);
        model.PoisonToken = null;
        long after = engine.AddRequest(Request(Prompt(5, 1), Greedy(4)));
        Assert.Equal(FinishReason.Length, RunAll(engine)[after][0].Last.Finish);
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
        Assert.True(good < after);
    }
}
