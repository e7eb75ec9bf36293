namespace Hearth.Engine;

/// <summary>How many KV blocks each KV-cache group's pool gets from the memory budget. A full-attention group needs up
/// to a whole context per sequence; a sliding group needs only the window plus one step's chunk per sequence, so it gets
/// what <see cref="EngineOptions.MaxNumSeqs"/> sequences can use there or, when the
/// budget is tight, its proportional share: the blocks one cache of every layer would have (a sequence never holds more
/// blocks in a sliding group than in the full one, so the sliding pool is then about as roomy as the full one). The
/// full-attention group gets the rest.</summary>
internal static class KvCacheSizing
{
    /// <param name="windows">Per group: its sliding window (0: full attention).</param>
    /// <param name="bytesPerToken">Per group: KV bytes one token takes in its layers.</param>
    public static int[] BlockCounts(EngineOptions o, IReadOnlyList<int> windows, IReadOnlyList<long> bytesPerToken, int maxModelLength)
    {
        int bs = o.BlockSize, groups = windows.Count;
        long perSeq = (maxModelLength + bs - 1) / bs;
        var min = new long[groups];
        var cap = new long[groups];
        for (int g = 0; g < groups; g++)
        {
            int w = windows[g];
            // More blocks than every running sequence at full context, twice over, only feed the prefix cache.
            min[g] = perSeq;
            cap[g] = perSeq * o.MaxNumSeqs * 2;
            if (w > 0)
            {
                // One step of a sequence reads its window before the chunk and writes the chunk: at most this many blocks.
                min[g] = Math.Min(perSeq, Ceil(w - 1L + o.MaxNumBatchedTokens, bs) + 1);
                // Every running sequence's window and one step's chunks. Not twice over: a prefix hit here needs only the
                // window's blocks before the hit, which stay while the full group's blocks do (freed at the same time).
                cap[g] = Math.Min(perSeq * o.MaxNumSeqs, Math.Min(perSeq, Ceil(w - 1L, bs) + 2) * o.MaxNumSeqs + Ceil(o.MaxNumBatchedTokens, bs));
            }
            cap[g] = Math.Min(cap[g], int.MaxValue / bs);
        }
        if (o.NumKvBlocks is int exact)
        {
            for (int g = 0; g < groups; g++)
                if (windows[g] > 0 && exact < min[g])
                    throw new ArgumentException($"{exact} KV blocks cannot hold one step of a sequence in the sliding window of {windows[g]} " +
                                                $"tokens with steps of {o.MaxNumBatchedTokens} tokens: {min[g]} are needed");
            return Enumerable.Repeat(exact, groups).ToArray();
        }

        long budget = o.KvCacheMemoryBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * o.KvCacheMemoryFraction);
        long totalBytes = 0, minimumBytes = 0;
        for (int g = 0; g < groups; g++)
        {
            totalBytes += Math.Max(1, bytesPerToken[g]);
            minimumBytes += min[g] * bs * Math.Max(1, bytesPerToken[g]);
        }
        // Every group's share of the budget holds the same number of tokens (what one unified cache would hold).
        long share = budget / (totalBytes * bs), left = budget, fullBytes = 0;
        var blocks = new long[groups];
        for (int g = 0; g < groups; g++)
        {
            if (windows[g] == 0) { fullBytes += Math.Max(1, bytesPerToken[g]); continue; }
            blocks[g] = Math.Min(cap[g], share);
            left -= blocks[g] * bs * Math.Max(1, bytesPerToken[g]);
        }
        for (int g = 0; g < groups; g++)
            if (windows[g] == 0) blocks[g] = Math.Min(cap[g], left / (fullBytes * bs));
        // A budget below one full-length sequence would leave a server that refuses long requests for no visible
        // reason (or, worse, holds one block): refuse to start instead, naming the minimum.
        for (int g = 0; g < groups; g++)
            if (blocks[g] < min[g]) throw new KvCacheTooSmallException(budget, minimumBytes, maxModelLength);
        return blocks.Select(b => (int)b).ToArray();
    }

    private static long Ceil(long a, int b) => (a + b - 1) / b;
}
