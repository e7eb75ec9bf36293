namespace Hearth.Engine;

/// <summary>The paged KV cache's bookkeeping over its groups (vLLM's hybrid KV cache manager): one
/// <see cref="BlockPool"/> per KV-cache group — the full-attention layers, and the layers of each sliding window — each
/// with its own blocks, per-sequence tables and prefix cache. A sequence has the same logical blocks in every group;
/// a sliding group releases those its window has passed, so a long chat holds a window's worth of blocks there.
/// Allocation attempts check every group first and return false, changing nothing, when one has no room. A
/// prefix-cache hit is the longest that every group can serve (<see cref="FindCachedPrefix"/>). A model without
/// sliding layers (or with the freeing turned off) has one group, the plain paged cache.</summary>
internal sealed class BlockManager
{
    /// <summary>Hash of one full block given its parent's hash (tests substitute a colliding one).</summary>
    internal delegate ulong BlockHasher(ulong parent, ReadOnlySpan<int> tokens);

    private readonly BlockPool[] _pools;
    private readonly List<int>[] _hits;
    private Sequence? _found; // the sequence the last FindCachedPrefix was for (its group hits are in _hits)

    /// <summary>One full-attention group of <paramref name="blockCount"/> blocks.</summary>
    public BlockManager(int blockCount, int blockSize, bool enablePrefixCaching = true, BlockHasher? hasher = null,
        PrefixCacheEvents? events = null)
        : this([0], [blockCount], blockSize, enablePrefixCaching, hasher, events)
    {
    }

    /// <param name="windows">Per group: its sliding window (0: full attention).</param>
    /// <param name="blockCounts">Per group: its pool's blocks.</param>
    /// <param name="events">Told of the first group's prefix-cache entries (cache-aware routing).</param>
    public BlockManager(IReadOnlyList<int> windows, IReadOnlyList<int> blockCounts, int blockSize, bool enablePrefixCaching = true,
        BlockHasher? hasher = null, PrefixCacheEvents? events = null)
    {
        if (windows.Count < 1 || windows.Count != blockCounts.Count)
            throw new ArgumentException("one window and one block count per KV-cache group are needed");
        _pools = new BlockPool[windows.Count];
        _hits = new List<int>[windows.Count];
        for (int g = 0; g < _pools.Length; g++)
        {
            _pools[g] = new BlockPool(g, blockCounts[g], blockSize, windows[g], enablePrefixCaching, hasher ?? PrefixHashes.Chain,
                g == 0 ? events : null);
            _hits[g] = [];
        }
        BlockSize = blockSize;
        PrefixCaching = enablePrefixCaching;
    }

    public int BlockSize { get; }
    public bool PrefixCaching { get; }
    public IReadOnlyList<BlockPool> Pools => _pools;
    /// <summary>Blocks over all groups (a sliding group's blocks count as blocks, whatever their layers' size).</summary>
    public int TotalBlocks => Sum(p => p.TotalBlocks);
    public int FreeBlocks => Sum(p => p.FreeBlocks);
    public int UsedBlocks => Sum(p => p.UsedBlocks);
    /// <summary>Prompt tokens looked up in the prefix cache at admission, and how many were hits.</summary>
    public long QueriedTokens { get; private set; }
    public long HitTokens { get; private set; }

    /// <summary>Ref count of a block of the first group.</summary>
    public int RefCount(int block) => _pools[0].RefCount(block);
    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>Finds the longest prefix every group can serve from its cache, leaving at least one token to compute (its
    /// logits are needed): each group searches up to the shortest hit so far until all agree (a full-attention hit is
    /// any prefix of a longer one; a sliding group searches again). Fills <paramref name="hits"/> with the first
    /// group's blocks; returns the hit in blocks. Changes nothing.</summary>
    public int FindCachedPrefix(Sequence seq, List<int> hits)
    {
        int max = (seq.Tokens.Count - 1) / BlockSize;
        for (bool changed = true; changed;)
        {
            changed = false; // another pass only when a later group shortened the hit the earlier ones searched for
            for (int g = 0; g < _pools.Length; g++)
            {
                int found = _pools[g].FindCachedPrefix(seq, max, _hits[g]);
                if (found < max) { max = found; changed |= g > 0; }
            }
        }
        _found = seq;
        hits.Clear();
        hits.AddRange(_hits[0]);
        return max;
    }

    /// <summary>Admits a sequence with no blocks: takes the prefix-cache hits found by <see cref="FindCachedPrefix"/> (for
    /// the first group, <paramref name="hits"/>; for the others, what that call found for this sequence) and allocates
    /// blocks for <paramref name="newTokens"/> more tokens in every group. False (and no change) when one has no room.</summary>
    public bool TryAllocate(Sequence seq, List<int> hits, int newTokens)
    {
        if (seq.BlockTable.Count != 0) throw new InvalidOperationException("sequence already holds blocks");
        for (int g = 0; g < _pools.Length; g++)
            if (_pools[g].BlocksToAllocate(HitsOf(g, seq, hits), newTokens) > _pools[g].FreeBlocks) return false;
        for (int g = 0; g < _pools.Length; g++) _pools[g].Allocate(seq, HitsOf(g, seq, hits), newTokens);
        seq.NumComputed = hits.Count * BlockSize;
        if (PrefixCaching && seq.Request.PromptLength > 1)
        {
            QueriedTokens += seq.Tokens.Count;
            HitTokens += seq.NumComputed;
        }
        return true;
    }

    /// <summary>The hits group <paramref name="g"/> admits with: the caller's for the first group; for the others, those
    /// of the last search if it was for this sequence and the same hit length, else none.</summary>
    private List<int> HitsOf(int g, Sequence seq, List<int> hits)
    {
        if (g == 0) return hits;
        if (hits.Count == 0) { _hits[g].Clear(); return _hits[g]; }
        return _found == seq && _hits[g].Count == hits.Count ? _hits[g]
            : throw new InvalidOperationException("the hits do not come from the last FindCachedPrefix");
    }

    /// <summary>Makes room for <paramref name="newTokens"/> tokens after NumComputed in every group. A shared block the
    /// first new token is written into (forked choices) becomes a private copy: a <see cref="KvCopy"/> is added to
    /// <paramref name="copies"/> for the model to make before the forward pass. False (no change) when out of blocks.</summary>
    public bool TryAppendSlots(Sequence seq, int newTokens, List<KvCopy> copies)
    {
        foreach (var pool in _pools)
            if (pool.BlocksToAppend(seq, newTokens) > pool.FreeBlocks) return false;
        foreach (var pool in _pools) pool.AppendSlots(seq, newTokens, copies);
        return true;
    }

    /// <summary>Gives the child the parent's blocks (ref counts up); the partial last block is copied on first write.</summary>
    public void Fork(Sequence parent, Sequence child)
    {
        if (child.BlockTable.Count != 0) throw new InvalidOperationException("child already holds blocks");
        foreach (var pool in _pools) pool.Fork(parent, child);
        child.NumComputed = parent.NumComputed;
        // Only hashes of computed blocks are common to both (later tokens differ).
        int common = parent.NumComputed / BlockSize;
        CopyPrefix(parent.BlockHashes, child.BlockHashes, common);
        CopyPrefix(parent.BlockFingerprints, child.BlockFingerprints, common);
    }

    private static void CopyPrefix(List<ulong> from, List<ulong> to, int count)
    {
        to.Clear();
        for (int i = 0; i < Math.Min(count, from.Count); i++) to.Add(from[i]);
    }

    /// <summary>Offers the sequence's newly full, computed blocks to the prefix cache; sliding groups then release the
    /// blocks their window has passed.</summary>
    public void Commit(Sequence seq)
    {
        foreach (var pool in _pools) pool.Commit(seq);
    }

    /// <summary>Releases all of the sequence's blocks. Cached blocks go to the back of the LRU list; blocks with nothing
    /// reusable go to the front.</summary>
    public void Free(Sequence seq)
    {
        foreach (var pool in _pools) pool.Free(seq);
        seq.NumComputed = 0;
    }

    /// <summary>Releases the blocks past those holding the sequence's NumComputed tokens: after a speculative step,
    /// the blocks that only rejected drafts were written to. Returns how many went back to the pools.</summary>
    public int TrimUnused(Sequence seq)
    {
        int freed = 0;
        foreach (var pool in _pools) freed += pool.TrimUnused(seq);
        return freed;
    }

    /// <summary>The sequence's table in every group as the step's forward pass addresses it: the tables' own arrays, not
    /// copies (see <see cref="BlockTable"/>).</summary>
    public int[][] StepTables(Sequence seq)
    {
        var tables = new int[_pools.Length][];
        for (int g = 0; g < tables.Length; g++) tables[g] = seq.Kv(g).Blocks.Items;
        return tables;
    }

    /// <summary>Slots held by the given sequences but not filled by their tokens, as a fraction of slots held (every
    /// group's slots counted alike).</summary>
    public double UnusedSlotFraction(IEnumerable<Sequence> sequences)
    {
        var seen = new HashSet<int>();
        long held = 0, used = 0;
        foreach (var pool in _pools) pool.CountSlots(sequences, seen, ref held, ref used);
        return held == 0 ? 0 : 1.0 - (double)used / held;
    }

    private int Sum(Func<BlockPool, int> f)
    {
        int total = 0;
        foreach (var p in _pools) total += f(p);
        return total;
    }
}
