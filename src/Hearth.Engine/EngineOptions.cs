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

    /// <summary>Speculative decoding: none, ngram (prompt lookup in the sequence's own tokens) or draft (a small
    /// draft model given to the engine). Off by default.</summary>
    public SpeculativeMethod SpeculativeMethod { get; init; } = SpeculativeMethod.None;

    /// <summary>Draft tokens proposed per sequence and step (k; a step verifies k + 1 positions).</summary>
    public int NumSpeculativeTokens { get; init; } = 4;

    /// <summary>Shortest and longest suffix prompt lookup matches.</summary>
    public int NgramMin { get; init; } = 2;
    public int NgramMax { get; init; } = 4;

    /// <summary>No drafts while more sequences than this run (verification then costs more than it saves).</summary>
    public int SpeculativeMaxBatchSize { get; init; } = 8;

    /// <summary>A sequence whose drafts are accepted less often than this, or whose verification steps give fewer
    /// tokens than they cost in plain steps (measured), pauses speculation (growing pauses). 0: never pause.</summary>
    public double SpeculativeMinAcceptance { get; init; } = 0.2;

    internal void Validate()
    {
        if (NumSpeculativeTokens is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(NumSpeculativeTokens), "must be in 1..32");
        if (NgramMin < 1 || NgramMax < NgramMin) throw new ArgumentOutOfRangeException(nameof(NgramMin), "need 1 ≤ ngram min ≤ ngram max");
        if (SpeculativeMaxBatchSize < 0) throw new ArgumentOutOfRangeException(nameof(SpeculativeMaxBatchSize), "must be ≥ 0");
        if (SpeculativeMinAcceptance is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(SpeculativeMinAcceptance), "must be in [0, 1]");
        if (BlockSize < 1) throw new ArgumentOutOfRangeException(nameof(BlockSize), "block size must be ≥ 1");
        if (MaxNumBatchedTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNumBatchedTokens), "must be ≥ 1");
        if (MaxNumSeqs < 1) throw new ArgumentOutOfRangeException(nameof(MaxNumSeqs), "must be ≥ 1");
        if (MaxQueuedRequests < 0) throw new ArgumentOutOfRangeException(nameof(MaxQueuedRequests), "must be ≥ 0");
        if (KvCacheMemoryFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(KvCacheMemoryFraction), "must be in (0, 1]");
        if (NumKvBlocks is < 1) throw new ArgumentOutOfRangeException(nameof(NumKvBlocks), "must be ≥ 1");
    }
}

/// <summary>How draft tokens are proposed for speculative decoding.</summary>
public enum SpeculativeMethod { None, Ngram, Draft }

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
