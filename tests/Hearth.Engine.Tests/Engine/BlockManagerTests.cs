namespace Hearth.Engine.Tests.Engine;

public class BlockManagerTests
{
    private static Sequence Seq(int[] tokens, int n = 1)
    {
        var request = new EngineRequest(1, new GenerationRequest("x", tokens, new SamplingParams { N = n }), 10,
            (r, i) => new Sequence(r, i, new Xoshiro256(1), new Detokenizer()));
        return request.Sequences[0];
    }

    private static Sequence Admit(BlockManager bm, int[] tokens)
    {
        var seq = Seq(tokens);
        var hits = new List<int>();
        bm.FindCachedPrefix(seq, hits);
        Assert.True(bm.TryAllocate(seq, hits, tokens.Length - hits.Count * bm.BlockSize));
        seq.NumComputed = tokens.Length;
        bm.Commit(seq);
        return seq;
    }

    [Fact]
    public void AllocationFailsWithoutSideEffectsWhenOutOfBlocks()
    {
        var bm = new BlockManager(4, 4);
        var a = Seq(EngineHarness.Prompt(12, 1));
        Assert.True(bm.TryAllocate(a, [], 12));
        Assert.Equal(3, a.BlockTable.Count);
        Assert.Equal(1, bm.FreeBlocks);
        var b = Seq(EngineHarness.Prompt(8, 2));
        Assert.False(bm.TryAllocate(b, [], 8));
        Assert.Empty(b.BlockTable);
        Assert.Equal(1, bm.FreeBlocks);
        bm.Free(a);
        Assert.Equal(4, bm.FreeBlocks);
        Assert.True(bm.TryAllocate(b, [], 8));
    }

    [Fact]
    public void PrefixHitReusesComputedFullBlocksAndLeavesOneTokenToCompute()
    {
        var bm = new BlockManager(16, 4);
        int[] prompt = EngineHarness.Prompt(10, 3);
        var a = Admit(bm, prompt);
        bm.Free(a);

        // Same 8-token prefix, different tail: two blocks hit.
        int[] other = [.. prompt[..8], 5, 6, 7];
        var b = Seq(other);
        var hits = new List<int>();
        Assert.Equal(2, bm.FindCachedPrefix(b, hits));
        Assert.True(bm.TryAllocate(b, hits, 3));
        Assert.Equal(8, b.NumComputed);
        Assert.Equal(8, bm.HitTokens);

        // A prompt that is exactly the cached 8 tokens still computes its last block (logits are needed).
        var c = Seq(prompt[..8]);
        Assert.Equal(1, bm.FindCachedPrefix(c, hits));
    }

    [Fact]
    public void EqualTokensUnderADifferentParentDoNotHit()
    {
        var bm = new BlockManager(16, 4);
        int[] p = [2, 3, 4, 5, 6, 7, 8, 9, 10];
        bm.Free(Admit(bm, p));
        int[] q = [11, 3, 4, 5, 6, 7, 8, 9, 10]; // second block equal, first differs
        Assert.Equal(0, bm.FindCachedPrefix(Seq(q), []));
    }

    [Fact]
    public void HashCollisionsCostAMissNeverAWrongHit()
    {
        // Every block hashes to the same value: only verification keeps hits correct.
        var bm = new BlockManager(16, 4, hasher: (_, _) => 42UL);
        int[] p = [2, 3, 4, 5, 6, 7, 8, 9, 10];
        bm.Free(Admit(bm, p));
        Assert.Equal(0, bm.FindCachedPrefix(Seq([20, 21, 22, 23, 24, 25, 26, 27, 28]), []));
        var hits = new List<int>();
        Assert.Equal(1, bm.FindCachedPrefix(Seq(p), hits)); // the first block is the one entry the map holds
    }

    [Fact]
    public void FreedCachedBlocksAreEvictedLeastRecentlyUsedFirst()
    {
        var bm = new BlockManager(6, 4);
        int[] p1 = EngineHarness.Prompt(9, 1), p2 = EngineHarness.Prompt(9, 2);
        var a = Admit(bm, p1); // 3 blocks, 2 full and cached
        var b = Admit(bm, p2);
        bm.Free(a);
        bm.Free(b);
        // Uncached partial blocks are reused first, then the cached blocks of p1 (freed earlier).
        var c = Seq(EngineHarness.Prompt(12, 7));
        Assert.True(bm.TryAllocate(c, [], 12)); // 3 blocks: 2 uncached + 1 of p1
        Assert.Equal(1, bm.FindCachedPrefix(Seq(p1), []));
        Assert.Equal(2, bm.FindCachedPrefix(Seq(p2), []));
        var d = Seq(EngineHarness.Prompt(12, 8));
        Assert.True(bm.TryAllocate(d, [], 8)); // 2 more: the rest of p1 first, then p2's last full block
        Assert.Equal(0, bm.FindCachedPrefix(Seq(p1), []));
        Assert.Equal(1, bm.FindCachedPrefix(Seq(p2), []));
    }

    [Fact]
    public void CopyOnWriteGivesEachForkAPrivateLastBlock()
    {
        var bm = new BlockManager(8, 4);
        var request = new EngineRequest(1, new GenerationRequest("x", EngineHarness.Prompt(6, 1), new SamplingParams { N = 2 }), 10,
            (r, i) => new Sequence(r, i, new Xoshiro256(1), new Detokenizer()));
        var (parent, child) = (request.Sequences[0], request.Sequences[1]);
        Assert.True(bm.TryAllocate(parent, [], 6));
        parent.NumComputed = 6;
        bm.Fork(parent, child);
        Assert.Equal(parent.BlockTable, child.BlockTable);
        Assert.All(parent.BlockTable, b => Assert.Equal(2, bm.RefCount(b)));

        var copies = new List<KvCopy>();
        Assert.True(bm.TryAppendSlots(child, 1, copies)); // writes position 6, inside the shared partial block
        var (group, src, dst) = Assert.Single(copies);
        Assert.Equal(0, group);
        Assert.Equal(parent.BlockTable[1], src);
        Assert.Equal(dst, child.BlockTable[1]);
        Assert.Equal(parent.BlockTable[0], child.BlockTable[0]);
        Assert.Equal(1, bm.RefCount(src));
        Assert.True(bm.TryAppendSlots(parent, 1, copies)); // now sole owner: writes in place
        Assert.Single(copies);
        bm.Free(parent);
        bm.Free(child);
        Assert.Equal(8, bm.FreeBlocks);
    }
}
