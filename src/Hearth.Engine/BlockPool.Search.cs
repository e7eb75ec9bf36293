using System.Runtime.InteropServices;

namespace Hearth.Engine;

/// <summary>The prefix-cache search of one KV-cache group's pool: a run of verified blocks from the first (full
/// attention), or the window's blocks before the hit (sliding window).</summary>
internal sealed partial class BlockPool
{
    /// <summary>Finds the longest cache hit of at most <paramref name="maxBlocks"/> blocks (see the class summary);
    /// fills <paramref name="hits"/> (one entry per block of the hit, null below the window). Changes nothing.</summary>
    public int FindCachedPrefix(Sequence seq, int maxBlocks, List<int> hits)
    {
        hits.Clear();
        if (!PrefixCaching || maxBlocks <= 0) return 0;
        EnsureHashes(seq, maxBlocks);
        return SlidingWindow > 0 ? FindSliding(seq, maxBlocks, hits) : FindFull(seq, maxBlocks, hits);
    }

    private int FindFull(Sequence seq, int maxBlocks, List<int> hits)
    {
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

    private int FindSliding(Sequence seq, int maxBlocks, List<int> hits)
    {
        int needed = Math.Max(1, (SlidingWindow - 1 + BlockSize - 1) / BlockSize);
        int run = 0, end = -1;
        for (int i = maxBlocks - 1; i >= 0; i--)
        {
            if (!TryLookupVerified(seq, i, out _)) { run = 0; continue; }
            if (++run >= needed) { end = i + run; break; }
        }
        if (end < 0) end = run; // the loop reached block 0: the cached run from the first block is a hit as it stands
        int present = Math.Min(run, end);
        for (int i = 0; i < end - present; i++) hits.Add(NullBlock);
        for (int i = end - present; i < end; i++)
        {
            TryLookupVerified(seq, i, out int b);
            hits.Add(b);
        }
        return end;
    }

    private bool TryLookupVerified(Sequence seq, int index, out int block)
    {
        if (!_byHash.TryGetValue(seq.BlockHashes[index], out block)) return false;
        return _fingerprint[block] == seq.BlockFingerprints[index]
            && CollectionsMarshal.AsSpan(seq.Tokens).Slice(index * BlockSize, BlockSize).SequenceEqual(_tokens[block]);
    }
}
