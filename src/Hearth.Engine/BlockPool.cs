using System.Runtime.InteropServices;

namespace Hearth.Engine;

/// <summary>One KV-cache group's pool (the layers that share a sliding window, or the full-attention layers): fixed-size
/// blocks with ref counts, each sequence's table for this group (<see cref="Sequence.Kv"/>), and the group's prefix
/// cache. A full block whose KV has been computed is keyed by its chained hash (<see cref="PrefixHashes"/>); freed
/// blocks keep their entry and sit in an LRU free list until reused.
/// <para>Full attention (window 0): a hit is a run of cached blocks from the first, each accepted only when its stored
/// tokens equal the sequence's and its stored parent is the block just matched (same reuse epoch), so a hash collision
/// can cost a miss but never wrong output.</para>
/// <para>Sliding window W: a token at position p reads positions p − W + 1 .. p only, so once a sequence has computed
/// N tokens the blocks wholly before N − W + 1 are released (the entry becomes <see cref="NullBlock"/>) and go back to
/// the pool — still cached, so a later prompt can find them. A hit needs only the blocks the next token's window
/// reads (vLLM's SlidingWindowManager): the search runs from the right for ⌈(W − 1) / BlockSize⌉ contiguous cached
/// blocks; the blocks before them are null. Such a hit cannot walk the parent chain, so each block is checked by its
/// tokens, its chained hash and a second, independent chained fingerprint (a wrong hit needs both 64-bit chains to
/// collide).</para></summary>
internal sealed partial class BlockPool
{
    /// <summary>A table entry whose block was released because the sliding window passed it (never read).</summary>
    public const int NullBlock = -1;

    private const int NoParent = -1;
    private readonly int[] _refCount;
    private readonly int[] _epoch;      // bumped whenever a block is handed out for new content
    private readonly bool[] _cached;    // holds a registered prefix-cache entry
    private readonly ulong[] _hash;
    private readonly ulong[] _fingerprint;
    private readonly int[][] _tokens;   // token ids of a cached block, for verification
    private readonly int[] _parent;
    private readonly int[] _parentEpoch;
    private readonly ulong[] _root;     // hash root (adapter selection) of a cached first block
    private readonly Dictionary<ulong, int> _byHash = [];
    private readonly FreeBlockList _free;
    private readonly BlockManager.BlockHasher _hasher;
    private readonly PrefixCacheEvents? _events;

    public BlockPool(int group, int blockCount, int blockSize, int slidingWindow, bool prefixCaching,
        BlockManager.BlockHasher hasher, PrefixCacheEvents? events)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(slidingWindow);
        Group = group;
        BlockSize = blockSize;
        TotalBlocks = blockCount;
        SlidingWindow = slidingWindow;
        PrefixCaching = prefixCaching;
        _hasher = hasher;
        _events = events;
        _refCount = new int[blockCount];
        _epoch = new int[blockCount];
        _cached = new bool[blockCount];
        _hash = new ulong[blockCount];
        _fingerprint = new ulong[blockCount];
        _tokens = new int[blockCount][];
        _parent = new int[blockCount];
        _parentEpoch = new int[blockCount];
        _root = new ulong[blockCount];
        _free = new FreeBlockList(blockCount);
        for (int b = 0; b < blockCount; b++) _free.PushBack(b);
    }

    public int Group { get; }
    public int BlockSize { get; }
    public int TotalBlocks { get; }
    /// <summary>0: full attention; else the window W of this group's layers.</summary>
    public int SlidingWindow { get; }
    public bool PrefixCaching { get; }
    public int FreeBlocks => _free.Count;
    public int UsedBlocks => TotalBlocks - _free.Count;

    public int RefCount(int block) => _refCount[block];
    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>Blocks that <see cref="Allocate"/> would take from the free list (new ones and revived cache hits).</summary>
    public int BlocksToAllocate(List<int> hits, int newTokens)
    {
        int revived = 0;
        foreach (int b in hits) if (b != NullBlock && _refCount[b] == 0) revived++;
        return BlocksFor(hits.Count * BlockSize + newTokens) - hits.Count + revived;
    }

    /// <summary>Gives a sequence with no blocks in this group the hits and blocks for <paramref name="newTokens"/> more
    /// tokens. The caller has checked <see cref="BlocksToAllocate"/> against <see cref="FreeBlocks"/>.</summary>
    public void Allocate(Sequence seq, List<int> hits, int newTokens)
    {
        var kv = seq.Kv(Group);
        if (kv.Blocks.Count != 0) throw new InvalidOperationException("sequence already holds blocks");
        int needed = BlocksFor(hits.Count * BlockSize + newTokens) - hits.Count;
        int released = 0;
        foreach (int b in hits)
        {
            if (b == NullBlock) released++;
            else if (_refCount[b]++ == 0) _free.Remove(b);
            kv.Blocks.Add(b);
        }
        for (int i = 0; i < needed; i++) kv.Blocks.Add(TakeFreeBlock());
        kv.Committed = hits.Count;
        kv.Released = released;
    }

    /// <summary>Blocks that <see cref="AppendSlots"/> would take: new ones past the table, plus a private copy of a shared
    /// block the first new token is written into.</summary>
    public int BlocksToAppend(Sequence seq, int newTokens)
    {
        var table = seq.Kv(Group).Blocks;
        int extra = Math.Max(0, BlocksFor(seq.NumComputed + newTokens) - table.Count);
        int writeIndex = seq.NumComputed / BlockSize;
        bool copyOnWrite = writeIndex < table.Count && _refCount[table[writeIndex]] > 1;
        return extra + (copyOnWrite ? 1 : 0);
    }

    /// <summary>Makes room for <paramref name="newTokens"/> tokens after NumComputed (the caller has checked
    /// <see cref="BlocksToAppend"/>); a shared block written into is copied first (an entry in <paramref name="copies"/>).</summary>
    public void AppendSlots(Sequence seq, int newTokens, List<KvCopy> copies)
    {
        var table = seq.Kv(Group).Blocks;
        int extra = Math.Max(0, BlocksFor(seq.NumComputed + newTokens) - table.Count);
        int writeIndex = seq.NumComputed / BlockSize;
        if (writeIndex < table.Count && _refCount[table[writeIndex]] > 1)
        {
            int shared = table[writeIndex], own = TakeFreeBlock();
            _refCount[shared]--;
            copies.Add(new KvCopy(Group, shared, own));
            table[writeIndex] = own;
        }
        for (int i = 0; i < extra; i++) table.Add(TakeFreeBlock());
    }

    /// <summary>Gives the child the parent's blocks in this group (ref counts up, null entries stay null).</summary>
    public void Fork(Sequence parent, Sequence child)
    {
        var from = parent.Kv(Group);
        var to = child.Kv(Group);
        if (to.Blocks.Count != 0) throw new InvalidOperationException("child already holds blocks");
        foreach (int b in from.Blocks)
        {
            if (b != NullBlock) _refCount[b]++;
            to.Blocks.Add(b);
        }
        to.Committed = from.Committed;
        to.Released = from.Released;
    }

    /// <summary>Offers the sequence's newly full, computed blocks to the prefix cache, then (sliding window) releases
    /// the blocks no later token can read.</summary>
    public void Commit(Sequence seq)
    {
        var kv = seq.Kv(Group);
        int full = seq.NumComputed / BlockSize;
        if (PrefixCaching)
        {
            EnsureHashes(seq, full);
            var tokens = CollectionsMarshal.AsSpan(seq.Tokens);
            for (int i = kv.Committed; i < full; i++)
            {
                int b = kv.Blocks[i];
                ulong h = seq.BlockHashes[i];
                if (b == NullBlock || _cached[b] || _byHash.ContainsKey(h)) continue; // released, already an entry, or a duplicate
                _cached[b] = true;
                _hash[b] = h;
                _tokens[b] ??= new int[BlockSize];
                tokens.Slice(i * BlockSize, BlockSize).CopyTo(_tokens[b]);
                if (SlidingWindow > 0) _fingerprint[b] = seq.BlockFingerprints[i];
                else
                {
                    _parent[b] = i == 0 ? NoParent : kv.Blocks[i - 1];
                    _parentEpoch[b] = i == 0 ? 0 : _epoch[kv.Blocks[i - 1]];
                    _root[b] = seq.HashRoot;
                }
                _byHash[h] = b;
                _events?.Stored(h);
            }
        }
        kv.Committed = Math.Max(kv.Committed, full);
        if (SlidingWindow > 0) ReleaseOutsideWindow(kv, seq.NumComputed);
    }

    /// <summary>The next token (position <paramref name="computed"/>) reads from computed − W + 1 on: blocks wholly
    /// before that go back to the pool (cached ones to the LRU end, so they still serve prefix hits).</summary>
    private void ReleaseOutsideWindow(KvTable kv, int computed)
    {
        int dead = Math.Min(kv.Blocks.Count, Math.Max(0, computed - SlidingWindow + 1) / BlockSize);
        for (int i = kv.Released; i < dead; i++)
        {
            int b = kv.Blocks[i];
            if (b == NullBlock) continue;
            kv.Blocks[i] = NullBlock;
            Release(b);
        }
        kv.Released = Math.Max(kv.Released, dead);
    }

    /// <summary>Releases all of the sequence's blocks in this group (last block first, so a prompt's head stays cached longest).</summary>
    public void Free(Sequence seq)
    {
        var kv = seq.Kv(Group);
        for (int i = kv.Blocks.Count - 1; i >= 0; i--)
            if (kv.Blocks[i] != NullBlock) Release(kv.Blocks[i]);
        kv.Blocks.Clear();
        kv.Committed = 0;
        kv.Released = 0;
    }

    /// <summary>Releases the blocks past those holding the sequence's NumComputed tokens. Returns how many went back.</summary>
    public int TrimUnused(Sequence seq)
    {
        var table = seq.Kv(Group).Blocks;
        int keep = BlocksFor(seq.NumComputed), freed = 0;
        for (int i = table.Count - 1; i >= keep; i--)
        {
            int b = table[i];
            table.RemoveLast();
            if (b != NullBlock && Release(b)) freed++;
        }
        return freed;
    }

    /// <summary>Counts the slots of the given sequences' blocks in this group (each block once) and how many hold a token.</summary>
    public void CountSlots(IEnumerable<Sequence> sequences, HashSet<int> seen, ref long held, ref long used)
    {
        seen.Clear();
        foreach (var seq in sequences)
        {
            var table = seq.Kv(Group).Blocks;
            for (int i = 0; i < table.Count; i++)
            {
                if (table[i] == NullBlock || !seen.Add(table[i])) continue;
                held += BlockSize;
                used += Math.Clamp(seq.Tokens.Count - i * BlockSize, 0, BlockSize);
            }
        }
    }

    /// <summary>Drops one reference; a block nobody holds goes to the free list. True when it did.</summary>
    private bool Release(int b)
    {
        if (--_refCount[b] > 0) return false;
        if (_cached[b]) _free.PushBack(b); else _free.PushFront(b);
        return true;
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
        if (SlidingWindow == 0) return;
        for (int i = seq.BlockFingerprints.Count; i < fullBlocks; i++)
        {
            ulong parent = i == 0 ? PrefixHashes.FingerprintRoot(seq.HashRoot) : seq.BlockFingerprints[i - 1];
            seq.BlockFingerprints.Add(PrefixHashes.Fingerprint(parent, tokens.Slice(i * BlockSize, BlockSize)));
        }
    }
}

/// <summary>A copy-on-write copy of one KV block in one KV-cache group, made before the forward pass.</summary>
public readonly record struct KvCopy(int Group, int Source, int Destination);
