namespace Hearth.Engine.Tests.Engine;

/// <summary>How the memory budget is split between a model's full-attention and sliding-window KV pools.</summary>
public class KvCacheSizingTests
{
    // Gemma 3 1B in F32: 1 KV head of 256 → 2 KiB per layer and token; 4 full-attention layers, 22 sliding (window 512).
    private static readonly long[] GemmaBytes = [4 * 2048, 22 * 2048];

    private static int[] Blocks(long budget, int maxNumSeqs = 64) => KvCacheSizing.BlockCounts(
        new EngineOptions { KvCacheMemoryBytes = budget, BlockSize = 16, MaxNumSeqs = maxNumSeqs, MaxNumBatchedTokens = 2048 },
        [0, 512], GemmaBytes, 8192);

    [Fact]
    public void TheSlidingPoolHoldsEveryRunningWindowAndTheFullPoolTheRest()
    {
        // 64 windows of ⌈511 / 16⌉ + 2 = 34 blocks and one step of 2048 tokens: 2,304 sliding blocks (1.55 GiB); the
        // remaining 6.45 GiB are 52,864 full blocks: 845,824 tokens of context where one cache of every layer holds
        // 10,082 blocks, 161,312 tokens.
        const long budget = 8L << 30;
        var blocks = Blocks(budget);
        Assert.Equal([52864, 2304], blocks);
        Assert.True(blocks[0] * 16L * GemmaBytes[0] + blocks[1] * 16L * GemmaBytes[1] <= budget);
        Assert.Equal(10082, budget / (GemmaBytes.Sum() * 16)); // the unified cache, for the comparison above
    }

    [Fact]
    public void UnderATightBudgetEachPoolGetsItsShare()
    {
        // 1 GiB: the sliding pool's share (1,260 blocks, what one cache of every layer would have) is below the 2,304 it
        // could use; the full pool gets the same and what rounding leaves.
        var blocks = Blocks(1L << 30);
        Assert.Equal(1260, blocks[1]);
        Assert.Equal(1262, blocks[0]);
    }

    [Fact]
    public void ABudgetBelowOneSequenceOfEachPoolIsRefused()
    {
        var e = Assert.Throws<KvCacheTooSmallException>(() => Blocks(64L << 20));
        // One full-length sequence in the full pool (512 blocks) and one step's window in the sliding one (161 blocks).
        Assert.Equal(512L * 16 * GemmaBytes[0] + 161L * 16 * GemmaBytes[1], e.MinimumBytes);
    }
}
