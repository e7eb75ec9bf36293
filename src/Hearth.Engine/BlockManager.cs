using System.Runtime.InteropServices;

namespace Hearth.Engine;

/// <summary>The paged KV cache's bookkeeping: a pool of fixed-size blocks with ref counts, one block table per
/// sequence (grown by appending; an entry is rewritten only when copy-on-write gives the sequence a private copy of a
/// shared partial block), and the prefix cache. A full block whose KV has been
/// computed is keyed by a chained hash (<see cref="PrefixHashes"/>); a hit is
/// accepted only when the stored tokens equal the sequence's and the stored parent is the block just matched (same
/// reuse epoch), so a hash collision can cost a miss but never wrong output. Freed blocks keep their entry and sit
/// in an LRU free list until reused. Allocation attempts return false and change nothing when there is no room.</summary>
internal sealed class BlockManager
{
    /// <summary>Hash of one full block given its parent's hash (tests substitute a colliding one).</summary>
    internal delegate ulong BlockHasher(ulong parent, ReadOnlySpan<int> tokens);

    private const int NoParent = -1;
    private readonly int[] _refCount;
    private readonly int[] _epoch;      // bumped whenever a block is handed out for new content
    private readonly bool[] _cached;    // holds a registered prefix-cache entry
    private readonly ulong[] _hash;
    private readonly int[][] _tokens;   // token ids of a cached block, for verification
    private readonly int[] _parent;
    private readonly int[] _parentEpoch;
    private readonly ulong[] _root;     // hash root (adapter selection) of a cached first block
    private readonly Dictionary<ulong, int> _byHash = [];
    private readonly FreeBlockList _free;
    private readonly BlockHasher _hasher;
    private readonly PrefixCacheEvents? _events; // told of every entry added and evicted (cache-aware routing)

    public BlockManager(int blockCount, int blockSize, bool enablePrefixCaching = true, BlockHasher? hasher = null,
        PrefixCacheEvents? events = null)
    {
        _events = events;
        _hasher = hasher ?? PrefixHashes.Chain;
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        BlockSize = blockSize;
        TotalBlocks = blockCount;
        PrefixCaching = enablePrefixCaching;
        _refCount = new int[blockCount];
        _epoch = new int[blockCount];
        _cached = new bool[blockCount];
        _hash = new ulong[blockCount];
        _tokens = new int[blockCount][];
        _parent = new int[blockCount];
        _parentEpoch = new int[blockCount];
        _root = new ulong[blockCount];
        _free = new FreeBlockList(blockCount);
        for (int b = 0; b < blockCount; b++) _free.PushBack(b);
    }

    public int BlockSize { get; }
    public int TotalBlocks { get; }
    public bool PrefixCaching { get; }
    public int FreeBlocks => _free.Count;
    public int UsedBlocks => TotalBlocks - _free.Count;
    /// <summary>Prompt tokens looked up in the prefix cache at admission, and how many were hits.</summary>
    public long QueriedTokens { get; private set; }
    public long HitTokens { get; private set; }

    public int RefCount(int block) => _refCount[block];
    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>Finds the longest run of cached full blocks that prefixes the sequence's tokens, leaving at least
    /// one token to compute (its logits are needed). Fills <paramref name="hits"/>; changes nothing.</summary>
    public int FindCachedPrefix(Sequence seq, List<int> hits)
    {
        hits.Clear();
        if (!PrefixCaching) return 0;
        int maxBlocks = (seq.Tokens.Count - 1) / BlockSize;
        EnsureHashes(seq, maxBlocks);
        var tokens = CollectionsMarshal.AsSpan(seq.Tokens);
        int parent = NoParent;
        for (int i = 0; i < maxBlocks; i++)
        {
            if (!_byHash.TryGetValue(seq.BlockHashes[i], out int b)) break;
            bool sameParent = _parent[b] == parent && (parent == NoParent ? _root[b] == seq.HashRoot : _parentEpoch[b] == _epoch[parent]);
            if (!sameParent || !tokens.Slice(i * BlockSize, BlockSize).SequenceEqual(_tokens[b])) break;
            hits.Add(b);
            parent = b;
        }
        return hits.Count;
    }

    /// <summary>Admits a sequence with no blocks: takes the prefix-cache hits found by <see cref="FindCachedPrefix"/>
    /// and allocates blocks for <paramref name="newTokens"/> more tokens. False (and no change) when there is no room.</summary>
    public bool TryAllocate(Sequence seq, List<int> hits, int newTokens)
    {
        if (seq.BlockTable.Count != 0) throw new InvalidOperationException("sequence already holds blocks");
        int revived = 0;
        foreach (int b in hits) if (_refCount[b] == 0) revived++;
        int needed = BlocksFor(hits.Count * BlockSize + newTokens) - hits.Count;
        if (needed > _free.Count - revived) return false;

        foreach (int b in hits)
        {
            if (_refCount[b]++ == 0) _free.Remove(b);
            seq.BlockTable.Add(b);
        }
        for (int i = 0; i < needed; i++) seq.BlockTable.Add(TakeFreeBlock());
        seq.NumComputed = hits.Count * BlockSize;
        seq.NumCommittedBlocks = hits.Count;
        if (PrefixCaching && seq.Request.PromptLength > 1)
        {
            QueriedTokens += seq.Tokens.Count;
            HitTokens += seq.NumComputed;
        }
        return true;
    }

    /// <summary>Makes room for <paramref name="newTokens"/> tokens after NumComputed. If the block they start in is
    /// shared (forked choices), the sequence gets a private copy: a (source, destination) pair is added to
    /// <paramref name="copies"/> for the model to copy before the forward pass. False (no change) when out of blocks.</summary>
    public bool TryAppendSlots(Sequence seq, int newTokens, List<(int Source, int Destination)> copies)
    {
        var table = seq.BlockTable;
        int extra = Math.Max(0, BlocksFor(seq.NumComputed + newTokens) - table.Count);
        int writeIndex = seq.NumComputed / BlockSize;
        bool copyOnWrite = writeIndex < table.Count && _refCount[table[writeIndex]] > 1;
        if (extra + (copyOnWrite ? 1 : 0) > _free.Count) return false;

        if (copyOnWrite)
        {
            int shared = table[writeIndex], own = TakeFreeBlock();
            _refCount[shared]--;
            copies.Add((shared, own));
            table[writeIndex] = own;
        }
        for (int i = 0; i < extra; i++) table.Add(TakeFreeBlock());
        return true;
    }

    /// <summary>Gives the child the parent's blocks (ref counts up); the partial last block is copied on first write.</summary>
    public void Fork(Sequence parent, Sequence child)
    {
        if (child.BlockTable.Count != 0) throw new InvalidOperationException("child already holds blocks");
        foreach (int b in parent.BlockTable)
        {
            _refCount[b]++;
            child.BlockTable.Add(b);
        }
        child.NumComputed = parent.NumComputed;
        child.NumCommittedBlocks = parent.NumCommittedBlocks;
        // Only hashes of computed blocks are common to both (later tokens differ).
        int common = Math.Min(parent.BlockHashes.Count, parent.NumComputed / BlockSize);
        child.BlockHashes.Clear();
        for (int i = 0; i < common; i++) child.BlockHashes.Add(parent.BlockHashes[i]);
    }

    /// <summary>Offers the sequence's newly full, computed blocks to the prefix cache.</summary>
    public void Commit(Sequence seq)
    {
        int full = seq.NumComputed / BlockSize;
        if (!PrefixCaching)
        {
            seq.NumCommittedBlocks = full;
            return;
        }
        EnsureHashes(seq, full);
        var tokens = CollectionsMarshal.AsSpan(seq.Tokens);
        for (int i = seq.NumCommittedBlocks; i < full; i++)
        {
            int b = seq.BlockTable[i];
            ulong h = seq.BlockHashes[i];
            if (_cached[b] || _byHash.ContainsKey(h)) continue; // already an entry, or a duplicate of one
            _cached[b] = true;
            _hash[b] = h;
            _tokens[b] ??= new int[BlockSize];
            tokens.Slice(i * BlockSize, BlockSize).CopyTo(_tokens[b]);
            _parent[b] = i == 0 ? NoParent : seq.BlockTable[i - 1];
            _parentEpoch[b] = i == 0 ? 0 : _epoch[seq.BlockTable[i - 1]];
            _root[b] = seq.HashRoot;
            _byHash[h] = b;
            _events?.Stored(h);
        }
        seq.NumCommittedBlocks = full;
    }

    /// <summary>Releases all of the sequence's blocks (last block first, so a prompt's head stays cached longest).
    /// Cached blocks go to the back of the LRU list; blocks with nothing reusable go to the front.</summary>
    public void Free(Sequence seq)
    {
        var table = seq.BlockTable;
        for (int i = table.Count - 1; i >= 0; i--)
        {
            int b = table[i];
            if (--_refCount[b] > 0) continue;
            if (_cached[b]) _free.PushBack(b); else _free.PushFront(b);
        }
        table.Clear();
        seq.NumComputed = 0;
        seq.NumCommittedBlocks = 0;
    }

    /// <summary>Releases the blocks past those holding the sequence's NumComputed tokens: after a speculative step,
    /// the blocks that only rejected drafts were written to. Returns how many went back to the pool.</summary>
    public int TrimUnused(Sequence seq)
    {
        var table = seq.BlockTable;
        int keep = BlocksFor(seq.NumComputed), freed = 0;
        for (int i = table.Count - 1; i >= keep; i--)
        {
            int b = table[i];
            table.RemoveAt(i);
            if (--_refCount[b] > 0) continue;
            if (_cached[b]) _free.PushBack(b); else _free.PushFront(b);
            freed++;
        }
        return freed;
    }

    /// <summary>Slots held by the given sequences but not filled by their tokens, as a fraction of slots held.</summary>
    public double UnusedSlotFraction(IEnumerable<Sequence> sequences)
    {
        var seen = new HashSet<int>();
        long held = 0, used = 0;
        foreach (var seq in sequences)
        {
            for (int i = 0; i < seq.BlockTable.Count; i++)
            {
                if (!seen.Add(seq.BlockTable[i])) continue;
                held += BlockSize;
                used += Math.Clamp(seq.Tokens.Count - i * BlockSize, 0, BlockSize);
            }
        }
        return held == 0 ? 0 : 1.0 - (double)used / held;
    }

    private int TakeFreeBlock()
    {
        int b = _free.PopFront();
        if (_cached[b])
        {
            // Evict its cache entry: the block is about to hold other tokens.
            if (_byHash.TryGetValue(_hash[b], out int owner) && owner == b)
            {
                _byHash.Remove(_hash[b]);
                _events?.Removed(_hash[b]);
            }
            _cached[b] = false;
        }
        _epoch[b]++;
        _refCount[b] = 1;
        return b;
    }

    private void EnsureHashes(Sequence seq, int fullBlocks)
    {
        var tokens = CollectionsMarshal.AsSpan(seq.Tokens);
        for (int i = seq.BlockHashes.Count; i < fullBlocks; i++)
        {
            ulong parent = i == 0 ? seq.HashRoot : seq.BlockHashes[i - 1];
            seq.BlockHashes.Add(_hasher(parent, tokens.Slice(i * BlockSize, BlockSize)));
        }
    }
}
