using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Engine;

/// <summary>Sliding-window layers in their own KV-cache group whose passed blocks go back to the pool: outputs must not
/// change (the fake model reads each layer's window through its group's table and fails on a released or reused
/// block), the blocks held follow the window exactly, and prefix hits, preemption and forks keep working.</summary>
public class SlidingWindowEngineTests
{
    private const int Bs = 4;

    public static TheoryData<int[]> Layouts() => new()
    {
        new[] { 0, 6, 6 },  // Gemma-like: full-attention layers and sliding ones
        new[] { 6 },        // every layer slides (Mistral-style)
        new[] { 9, 0, 5 },  // two windows and a full layer: three groups
    };

    private static LlmEngine Engine(int[] windows, bool free, int blocks = 256, int batched = 16, bool prefixCaching = true) =>
        NewEngine(new FakeModel(windows: windows), new EngineOptions
        {
            NumKvBlocks = blocks, BlockSize = Bs, MaxNumBatchedTokens = batched, FreeSlidingWindowBlocks = free,
            EnablePrefixCaching = prefixCaching,
        });

    private static GenerationRequest[] MixedRequests()
    {
        int[] shared = Prompt(20, 9);
        return
        [
            Request(Prompt(37, 1), Greedy(40), "long"),
            Request([.. shared, .. Prompt(5, 2)], Greedy(30), "shared-a"),
            Request([.. shared, .. Prompt(7, 3)], Greedy(30), "shared-b"),
            Request(Prompt(23, 4), new SamplingParams { Temperature = 1, Seed = 7, N = 3, MaxTokens = 30, IgnoreEos = true }, "forks"),
        ];
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void FreeingTheWindowsBlocksChangesNoOutput(int[] windows)
    {
        List<List<int>> Run(bool free, out int peakSliding)
        {
            var engine = Engine(windows, free);
            var keys = MixedRequests().Select(engine.AddRequest).ToArray();
            int peak = 0;
            var results = RunAll(engine, _ => peak = Math.Max(peak, engine.Blocks.Pools.Where(p => p.SlidingWindow > 0).Sum(p => p.UsedBlocks)));
            peakSliding = peak;
            Assert.Equal(0, engine.GetStats().UsedKvBlocks);
            return keys.SelectMany(k => results[k].OrderBy(c => c.Key).Select(c => c.Value.Tokens)).ToList();
        }

        var kept = Run(free: false, out _);
        var freed = Run(free: true, out int peak);
        Assert.Equal(6, kept.Count);
        Assert.Equal(kept, freed);
        Assert.True(peak > 0, "the sliding layers should have a pool of their own");
    }

    [Fact]
    public void BlocksHeldFollowTheWindowStepByStep()
    {
        const int window = 6;
        var engine = Engine([0, window], free: true, batched: 8);
        engine.AddRequest(Request(Prompt(30, 1), Greedy(20)));
        var (full, sliding) = (engine.Blocks.Pools[0], engine.Blocks.Pools[1]);
        Assert.Equal((0, window), (full.SlidingWindow, sliding.SlidingWindow));
        int steps = 0;
        while (engine.HasUnfinishedRequests)
        {
            engine.Step();
            steps++;
            if (engine.RunningSequences.Count == 0) break;
            var seq = Assert.Single(engine.RunningSequences);
            int c = seq.NumComputed;
            int held = (c + Bs - 1) / Bs, passed = Math.Max(0, c - window + 1) / Bs;
            Assert.Equal(held, full.UsedBlocks);
            Assert.Equal(held - passed, sliding.UsedBlocks);
            var stats = engine.GetStats();
            Assert.Equal(held + held - passed, stats.UsedKvBlocks);
            Assert.Equal((held + held - passed) * Bs * 64L, stats.KvCacheUsedBytes); // the fake model: 64 bytes per layer and token
            Assert.Equal(2 * 256 * Bs * 64L, stats.KvCacheTotalBytes);
            Assert.Equal(passed, seq.Kv(1).Blocks.Count(b => b == BlockPool.NullBlock));
            Assert.True(sliding.UsedBlocks <= 3, $"step {steps}: {sliding.UsedBlocks} sliding blocks for a window of {window}");
        }
        Assert.Equal(4 + 19, steps); // 30 prompt tokens in chunks of 8, then 19 decodes
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
    }

    [Fact]
    public void APrefixHitAcrossTheWindowUsesOnlyTheWindowsBlocks()
    {
        int[] windows = [0, 6];
        int[] first = Prompt(30, 1);
        var second = Request([.. first[..28], .. Prompt(5, 77)], Greedy(12), "second");
        var engine = Engine(windows, free: true);
        engine.AddRequest(Request(first, Greedy(5), "first"));
        RunAll(engine);
        Assert.Equal(0, engine.GetStats().PrefixCacheHits);

        long key = engine.AddRequest(second);
        var results = new Dictionary<long, Dictionary<int, Choice>>();
        foreach (var o in engine.Step().Outputs) Collect(results, o);
        // 7 full blocks (28 tokens) hit: the full group has them all, the sliding group needs blocks 5 and 6 only.
        var seq = Assert.Single(engine.RunningSequences);
        Assert.Equal(28, seq.Request.CachedPromptTokens);
        Assert.Equal(Enumerable.Repeat(BlockPool.NullBlock, 5), seq.Kv(1).Blocks.Take(5));
        for (int i = 0; i < 100 && engine.HasUnfinishedRequests; i++)
            foreach (var o in engine.Step().Outputs) Collect(results, o);
        Assert.Equal(28, engine.GetStats().PrefixCacheHits);

        var alone = Engine(windows, free: false, prefixCaching: false);
        long aloneKey = alone.AddRequest(second);
        var expected = RunAll(alone)[aloneKey][0].Tokens;
        Assert.Equal(12, expected.Count);
        Assert.Equal(expected, results[key][0].Tokens);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void PreemptionUnderATinyPoolRecomputesToTheSameOutput(int[] windows)
    {
        // 12 blocks: enough for one step of one sequence in a sliding group (⌈(9 − 1 + 8) / 4⌉ + 1 = 5) and for a whole
        // sequence in the full one (44 tokens), not for six sequences at once (a sliding group holds 3 blocks of each).
        var requests = Enumerable.Range(0, 6).Select(i => Request(Prompt(20, 10 + i), Greedy(24), $"r{i}")).ToArray();
        var engine = Engine(windows, free: true, blocks: 12, batched: 8);
        var keys = requests.Select(engine.AddRequest).ToArray();
        var results = RunAll(engine);
        Assert.True(engine.GetStats().PreemptionsTotal > 0, "the tiny pool should have forced a preemption");
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
        for (int i = 0; i < requests.Length; i++)
        {
            var alone = Engine(windows, free: false);
            long k = alone.AddRequest(requests[i]);
            Assert.Equal(RunAll(alone)[k][0].Tokens, results[keys[i]][0].Tokens);
        }
    }

    [Fact]
    public void SpeculativeRollbackKeepsTheWindowsBlocks()
    {
        // Prompt lookup drafts: accepted along the model's cycle, rejected after tokens ≥ 40 (no preference there), so
        // steps roll back over blocks the window had not yet passed.
        static int Cycle(int t) => t < 40 ? (t * 5 + 3) % 23 + 2 : -1;
        var requests = Enumerable.Range(0, 4).Select(i => Request(Prompt(9 + 5 * i, 40 + i), Greedy(48), $"s{i}")).ToArray();
        List<List<int>> Run(SpeculativeMethod method)
        {
            var engine = NewEngine(new FakeModel(windows: [0, 6]) { Next = Cycle }, new EngineOptions
            {
                NumKvBlocks = 128, BlockSize = Bs, SpeculativeMethod = method, NumSpeculativeTokens = 5,
                SpeculativeMaxBatchSize = 64, SpeculativeMinAcceptance = 0,
            });
            var keys = requests.Select(engine.AddRequest).ToArray();
            var results = RunAll(engine);
            Assert.Equal(0, engine.GetStats().UsedKvBlocks);
            if (method != SpeculativeMethod.None)
            {
                var s = engine.GetStats().Speculative!;
                Assert.True(s.AcceptedTokens > 0 && s.AcceptedTokens < s.DraftTokens, $"{s.AcceptedTokens} of {s.DraftTokens} drafts accepted");
            }
            return keys.Select(k => results[k][0].Tokens).ToList();
        }
        Assert.Equal(Run(SpeculativeMethod.None), Run(SpeculativeMethod.Ngram));
    }

    [Fact]
    public void AllSlidingModelsServeSequencesLongerThanThePool()
    {
        // Every layer slides: no group needs the whole context, so a pool of 8 blocks (32 slots) serves 200 tokens.
        var engine = Engine([6], free: true, blocks: 8, batched: 8);
        Assert.Equal(512, engine.MaxModelLength);
        long key = engine.AddRequest(Request(Prompt(40, 3), Greedy(160)));
        var tokens = RunAll(engine)[key][0].Tokens;
        Assert.Equal(160, tokens.Count);
        var kept = Engine([6], free: false, blocks: 64);
        long k2 = kept.AddRequest(Request(Prompt(40, 3), Greedy(160)));
        Assert.Equal(RunAll(kept)[k2][0].Tokens, tokens);
    }

    [Fact]
    public void ASlidingPoolTooSmallForOneStepIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Engine([0, 9], free: true, blocks: 4, batched: 8));
        Assert.Contains("5 are needed", e.Message);
        // Without the freeing there is one group and the old rule: the pool caps the sequence length.
        Assert.Equal(16, Engine([0, 9], free: false, blocks: 4, batched: 8).MaxModelLength);
    }
}
