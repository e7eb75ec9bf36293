namespace Hearth.Engine.Tests.Engine;

/// <summary>The prefix cache as events (cache-aware routing): every entry the block manager adds or evicts is
/// reported, snapshot + later batches always equal the cache, and hashes are the ones a router computes.</summary>
public class PrefixCacheEventsTests
{
    private static Sequence Seq(int[] tokens)
    {
        var request = new EngineRequest(1, new GenerationRequest("x", tokens, new SamplingParams()), 10,
            (r, i) => new Sequence(r, i, new Xoshiro256(1), new Detokenizer()));
        return request.Sequences[0];
    }

    private static Sequence? TryAdmit(BlockManager bm, int[] tokens)
    {
        var seq = Seq(tokens);
        var hits = new List<int>();
        bm.FindCachedPrefix(seq, hits);
        if (!bm.TryAllocate(seq, hits, tokens.Length - hits.Count * bm.BlockSize)) return null;
        seq.NumComputed = tokens.Length;
        bm.Commit(seq);
        return seq;
    }

    private static HashSet<ulong> Drain(PrefixCacheSubscription sub, HashSet<ulong>? into = null)
    {
        var set = into ?? [.. sub.Snapshot];
        while (sub.Batches.TryRead(out var batch))
            foreach (var c in batch.Changes)
                if (c.Stored) Assert.True(set.Add(c.Hash), "a hash stored twice"); else Assert.True(set.Remove(c.Hash), "a hash removed that was not there");
        return set;
    }

    /// <summary>The hashes of every full block of <paramref name="tokens"/>, chained as the block manager chains them.</summary>
    private static ulong[] FullBlockHashes(int[] tokens, int blockSize) => PrefixHashes.ForPrompt([.. tokens, 0], blockSize);

    [Fact]
    public void CommittedBlocksAreStoredAndReusedBlocksAreRemoved()
    {
        var events = new PrefixCacheEvents(4);
        var bm = new BlockManager(4, 4, events: events);
        int[] first = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var a = TryAdmit(bm, first)!;
        events.Publish();
        using var sub = events.Subscribe();
        Assert.Equal(FullBlockHashes(first, 4).Order(), sub.Snapshot.Order());
        Assert.Equal(PrefixHashes.ForPrompt(first, 4).Order(), sub.Snapshot.Order()); // what a router asks for this prompt

        bm.Free(a);
        int[] second = Enumerable.Range(100, 16).ToArray(); // needs all four blocks: both cached ones are reused
        Assert.NotNull(TryAdmit(bm, second));
        events.Publish();
        Assert.True(sub.Batches.TryPeek(out var batch));
        Assert.Equal(2, batch.Changes.Count(c => !c.Stored));
        Assert.Equal(4, batch.Changes.Count(c => c.Stored));
        Assert.Equal(FullBlockHashes(second, 4).Order(), Drain(sub).Order());
        Assert.Equal(4, events.Count);
    }

    [Fact]
    public void SnapshotPlusBatchesAlwaysEqualsTheCacheUnderChurn()
    {
        var events = new PrefixCacheEvents(4);
        var bm = new BlockManager(12, 4, events: events);
        var rng = new Random(5);
        var live = new List<Sequence>();
        using var early = events.Subscribe();
        var mirror = Drain(early);
        PrefixCacheSubscription? late = null;
        HashSet<ulong>? lateMirror = null;
        for (var step = 0; step < 400; step++)
        {
            // Prompts share prefixes often (few distinct first tokens), so hits, duplicates and evictions all happen.
            var length = rng.Next(2, 20);
            var tokens = Enumerable.Range(0, length).Select(i => i < 8 ? rng.Next(3) : rng.Next(50)).ToArray();
            if (TryAdmit(bm, tokens) is { } seq) live.Add(seq);
            while (live.Count > 2 || (live.Count > 0 && rng.Next(3) == 0))
            {
                var i = rng.Next(live.Count);
                bm.Free(live[i]);
                live.RemoveAt(i);
            }
            events.Publish();
            Drain(early, mirror);
            if (step == 200)
            {
                late = events.Subscribe();
                lateMirror = Drain(late);
            }
            else if (late is not null) Drain(late, lateMirror);
        }
        using var check = events.Subscribe();
        Assert.Equal(check.Snapshot.Order(), mirror.Order());
        Assert.Equal(check.Snapshot.Order(), lateMirror!.Order());
        Assert.Equal(events.Count, mirror.Count);
        late!.Dispose();
    }

    [Fact]
    public void ASubscriberThatFallsBehindIsDroppedWithoutSlowingTheEngine()
    {
        var events = new PrefixCacheEvents(4);
        var bm = new BlockManager(8, 4, events: events);
        using var slow = events.Subscribe();
        using var fast = events.Subscribe();
        var mirror = Drain(fast);
        for (var i = 0; i <= PrefixCacheEvents.SubscriberCapacity; i++)
        {
            var seq = TryAdmit(bm, [i, i + 1, i + 2, i + 3, i + 4])!;
            bm.Free(seq);
            events.Publish();
            Drain(fast, mirror);
        }
        var batches = 0;
        while (slow.Batches.TryRead(out _)) batches++;
        Assert.Equal(PrefixCacheEvents.SubscriberCapacity, batches);
        Assert.True(slow.Batches.Completion.IsFaulted);
        Assert.IsType<PrefixCacheSubscriberTooSlowException>(slow.Batches.Completion.Exception!.InnerException);
        Assert.False(fast.Batches.Completion.IsCompleted);
    }

    [Fact]
    public void ClosingEndsEverySubscriptionAndLaterOnesAtOnce()
    {
        var events = new PrefixCacheEvents(4);
        using var sub = events.Subscribe();
        events.Close();
        Assert.True(sub.Batches.Completion.IsCompletedSuccessfully);
        using var after = events.Subscribe();
        Assert.Empty(after.Snapshot);
        Assert.True(after.Batches.Completion.IsCompleted);
    }

    [Fact]
    public void PromptHashesCoverTheFullBlocksBeforeTheLastToken()
    {
        Assert.Empty(PrefixHashes.ForPrompt([1, 2, 3, 4], 4)); // the last token is always computed
        var h = PrefixHashes.ForPrompt([1, 2, 3, 4, 5, 6, 7, 8, 9], 4);
        Assert.Equal(2, h.Length);
        Assert.Equal(PrefixHashes.Chain(PrefixHashes.Root, [1, 2, 3, 4]), h[0]);
        Assert.Equal(PrefixHashes.Chain(h[0], [5, 6, 7, 8]), h[1]);
        Assert.Equal("000000000000002a", PrefixHashes.ToHex(42));
    }
}
