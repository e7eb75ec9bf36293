namespace Hearth.Engine.Tests.Engine;

/// <summary>The block manager with a full-attention group and a sliding-window group (window 6, blocks of 4): blocks
/// the window has passed are released at commit, and a prefix hit needs only the window's blocks in the sliding
/// group; when they were evicted the hit shrinks to what both groups hold, down to recomputing everything.</summary>
public class SlidingBlockPoolTests
{
    private const int Window = 6;

    private static Sequence Seq(int[] tokens, int n = 1)
    {
        var request = new EngineRequest(1, new GenerationRequest("x", tokens, new SamplingParams { N = n }), 10,
            (r, i) => new Sequence(r, i, new Xoshiro256(1), new Detokenizer()));
        return request.Sequences[0];
    }

    private static BlockManager Manager(int slidingBlocks = 9) => new([0, Window], [16, slidingBlocks], 4);

    /// <summary>Admits and computes the whole prompt, then frees it (its full blocks stay cached in both groups).</summary>
    private static void RunAndFree(BlockManager bm, int[] tokens)
    {
        var seq = Seq(tokens);
        var hits = new List<int>();
        int hit = bm.FindCachedPrefix(seq, hits);
        Assert.True(bm.TryAllocate(seq, hits, tokens.Length - hit * 4));
        seq.NumComputed = tokens.Length;
        bm.Commit(seq);
        bm.Free(seq);
    }

    [Fact]
    public void CommitReleasesTheBlocksTheWindowHasPassed()
    {
        var bm = Manager();
        var seq = Seq(EngineHarness.Prompt(21, 1));
        Assert.True(bm.TryAllocate(seq, [], 21));
        Assert.Equal((6, 6), (bm.Pools[0].UsedBlocks, bm.Pools[1].UsedBlocks));
        seq.NumComputed = 21;
        bm.Commit(seq);
        // The next token (position 21) reads 16..21: blocks 0-3 are released, 4 and 5 stay.
        Assert.Equal((6, 2), (bm.Pools[0].UsedBlocks, bm.Pools[1].UsedBlocks));
        Assert.Equal([-1, -1, -1, -1], seq.Kv(1).Blocks.Take(4));
        Assert.Equal(seq.BlockTable.Count, seq.Kv(1).Blocks.Count); // same logical blocks
        var copies = new List<KvCopy>();
        Assert.True(bm.TryAppendSlots(seq, 4, copies)); // positions 21..24: one more block in each group
        Assert.Equal((7, 3), (bm.Pools[0].UsedBlocks, bm.Pools[1].UsedBlocks));
        Assert.Empty(copies);
        bm.Free(seq);
        Assert.Equal(0, bm.UsedBlocks);
    }

    [Fact]
    public void AHitNeedsOnlyTheWindowsBlocks()
    {
        var bm = Manager();
        int[] prompt = EngineHarness.Prompt(21, 1);
        RunAndFree(bm, prompt);
        // Sliding free list, front to back: 5 (uncached), 6, 7, 8, then 0-3 (released at commit), 4 (freed last).
        // Taking 6 blocks evicts 0 and 1; the window of a 20-token hit needs only 3 and 4.
        var other = Seq(EngineHarness.Prompt(24, 2));
        Assert.True(bm.TryAllocate(other, [], 24));
        var again = Seq([.. prompt, 9]);
        var hits = new List<int>();
        Assert.Equal(5, bm.FindCachedPrefix(again, hits));
        Assert.True(bm.TryAllocate(again, hits, 2));
        Assert.Equal(20, again.NumComputed);
        Assert.Equal([-1, -1, -1], again.Kv(1).Blocks.Take(3));
        Assert.DoesNotContain(-1, again.Kv(1).Blocks.Skip(3));
    }

    [Fact]
    public void WithoutTheWindowsBlocksTheHitFallsBackToRecompute()
    {
        var bm = Manager();
        int[] prompt = EngineHarness.Prompt(21, 1);
        RunAndFree(bm, prompt);
        // Taking 8 blocks evicts 0-3: block 4 alone cannot serve the window, so nothing hits though the
        // full-attention group still holds all five blocks.
        var other = Seq(EngineHarness.Prompt(32, 2));
        Assert.True(bm.TryAllocate(other, [], 32));
        var again = Seq([.. prompt, 9]);
        Assert.Equal(0, bm.FindCachedPrefix(again, []));
        Assert.Equal(5, bm.Pools[0].FindCachedPrefix(again, 5, []));
    }

    [Fact]
    public void ASlidingHitIsVerifiedByTokensAndFingerprintNotTheHashAlone()
    {
        // Every block hashes alike. With a window of 5 one block serves a hit, so a block with equal tokens after a
        // different first block would pass a check of hash and tokens: its fingerprint refuses it.
        var bm = new BlockManager([5], [16], 4, hasher: (_, _) => 42UL);
        int[] a = [2, 3, 4, 5], z = [6, 7, 8, 9];
        RunAndFree(bm, [.. a, 10]);
        Assert.Equal(0, bm.FindCachedPrefix(Seq([.. z, .. a, 11]), []));
        var hits = new List<int>();
        Assert.Equal(1, bm.FindCachedPrefix(Seq([.. a, 11]), hits)); // the same block at the same place hits
        Assert.DoesNotContain(BlockPool.NullBlock, hits);
    }

    [Fact]
    public void ForksShareTheWindowAndCopyTheirLastBlockOnWrite()
    {
        var bm = Manager();
        var request = new EngineRequest(1, new GenerationRequest("x", EngineHarness.Prompt(14, 1), new SamplingParams { N = 2 }), 10,
            (r, i) => new Sequence(r, i, new Xoshiro256(1), new Detokenizer()));
        var (parent, child) = (request.Sequences[0], request.Sequences[1]);
        Assert.True(bm.TryAllocate(parent, [], 14));
        parent.NumComputed = 14;
        bm.Commit(parent); // window 9..14: block 0 and 1 released
        bm.Fork(parent, child);
        Assert.Equal(parent.Kv(1).Blocks, child.Kv(1).Blocks);
        Assert.Equal([-1, -1], child.Kv(1).Blocks.Take(2));
        var copies = new List<KvCopy>();
        Assert.True(bm.TryAppendSlots(child, 1, copies)); // position 14 is in shared block 3 of both groups
        Assert.Equal([0, 1], copies.Select(c => c.Group));
        Assert.Equal((5, 3), (bm.Pools[0].UsedBlocks, bm.Pools[1].UsedBlocks));
        bm.Free(parent);
        bm.Free(child);
        Assert.Equal(0, bm.UsedBlocks);
    }
}
