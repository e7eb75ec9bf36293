namespace Hearth.Engine;

/// <summary>Knobs of one engine (one loaded model): KV cache size, batch limits, queue bound.</summary>
public sealed record EngineOptions
{
    /// <summary>Tokens per KV block (vLLM's default is 16).</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Bytes the paged KV cache may take. Null: <see cref="KvCacheMemoryFraction"/> of the memory available
    /// to the process, capped at what <see cref="MaxNumSeqs"/> full contexts (plus as much again for the prefix cache) need.</summary>
    public long? KvCacheMemoryBytes { get; init; }

    /// <summary>Fraction of available memory used for the KV cache when <see cref="KvCacheMemoryBytes"/> is null.</summary>
    public double KvCacheMemoryFraction { get; init; } = 0.25;

    /// <summary>Exact number of KV blocks (tests, benchmarks); overrides the memory budget when set.</summary>
    public int? NumKvBlocks { get; init; }

    /// <summary>Token budget of one step: decode tokens plus prefill chunks.</summary>
    public int MaxNumBatchedTokens { get; init; } = 2048;

    /// <summary>Most sequences running at once (each choice of an n &gt; 1 request counts).</summary>
    public int MaxNumSeqs { get; init; } = 64;

    /// <summary>Most requests waiting to be admitted; past it Submit throws <see cref="EngineBusyException"/>.</summary>
    public int MaxQueuedRequests { get; init; } = 256;

    /// <summary>Reuse KV blocks of identical prompt prefixes across requests.</summary>
    public bool EnablePrefixCaching { get; init; } = true;

    /// <summary>Longest sequence (prompt + completion); null: the model's context length.</summary>
    public int? MaxModelLength { get; init; }

    internal void Validate()
    {
        if (BlockSize < 1) throw new ArgumentOutOfRangeException(nameof(BlockSize), "block size must be ≥ 1");
        if (MaxNumBatchedTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNumBatchedTokens), "must be ≥ 1");
        if (MaxNumSeqs < 1) throw new ArgumentOutOfRangeException(nameof(MaxNumSeqs), "must be ≥ 1");
        if (MaxQueuedRequests < 0) throw new ArgumentOutOfRangeException(nameof(MaxQueuedRequests), "must be ≥ 0");
        if (KvCacheMemoryFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(KvCacheMemoryFraction), "must be in (0, 1]");
        if (NumKvBlocks is < 1) throw new ArgumentOutOfRangeException(nameof(NumKvBlocks), "must be ≥ 1");
    }

    /// <summary>How many KV blocks to allocate for a model with this per-token KV size and context.</summary>
    internal int ResolveBlockCount(long kvBytesPerToken, int maxModelLength)
    {
        if (NumKvBlocks is int exact) return exact;
        int blocksPerSeq = (maxModelLength + BlockSize - 1) / BlockSize;
        // More blocks than every running sequence at full context, twice over, only feed the prefix cache.
        long cap = Math.Min((long)blocksPerSeq * MaxNumSeqs * 2, int.MaxValue / BlockSize);
        long budget = KvCacheMemoryBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * KvCacheMemoryFraction);
        long blockBytes = Math.Max(1, kvBytesPerToken) * BlockSize;
        long blocks = budget / blockBytes;
        // A budget below one full-length sequence would leave a server that refuses long requests for no visible
        // reason (or, worse, holds one block): refuse to start instead, naming the minimum.
        if (blocks < blocksPerSeq)
            throw new KvCacheTooSmallException(budget, (long)blocksPerSeq * blockBytes, maxModelLength);
        return (int)Math.Min(blocks, cap);
    }
}

/// <summary>The KV-cache memory budget cannot hold one sequence of the model's full context.</summary>
public sealed class KvCacheTooSmallException(long budgetBytes, long minimumBytes, int contextTokens)
    : ArgumentException($"the KV cache memory ({FormatBytes(budgetBytes)}) cannot hold one full-length sequence: {contextTokens} tokens " +
                        $"need at least {FormatBytes(minimumBytes)} ({minimumBytes} bytes)")
{
    public long BudgetBytes { get; } = budgetBytes;
    public long MinimumBytes { get; } = minimumBytes;

    private static string FormatBytes(long b) => b switch
    {
        >= 1L << 30 => FormattableString.Invariant($"{b / (double)(1L << 30):0.##} GiB"),
        >= 1L << 20 => FormattableString.Invariant($"{b / (double)(1L << 20):0.##} MiB"),
        >= 1L << 10 => FormattableString.Invariant($"{b / (double)(1L << 10):0.##} KiB"),
        _ => $"{b} B",
    };
}
