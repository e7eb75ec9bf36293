using Hearth.Core.Tensors;

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

    /// <summary>Element type of the KV cache: F32 (exact), F16 (half the memory), Q8_0 (about a quarter), Q4_0 (about an
    /// eighth). The memory budget holds proportionally more blocks of a smaller type.</summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F32;

    /// <summary>Exact number of KV blocks (tests, benchmarks); overrides the memory budget when set.</summary>
    public int? NumKvBlocks { get; init; }

    /// <summary>Token budget of one step: decode tokens plus prefill chunks. The whole of it goes to prompts only when
    /// nothing decodes; see <see cref="InterTokenLatencyRatio"/>. 512 by default: the CPU GEMM runs as fast at 512 tokens
    /// as at 2,048 (Q8_0, 2048 → 8192: 98–107 GMAC/s at both), while a step's activation buffers grow with it — a burst
    /// of 16 × 128-token prompts in one 2,048-token step lifted the 1B server's peak RSS by ≈ 190 MiB (1,900 vs 1,710
    /// MiB, the same 27.4 output tok/s).</summary>
    public int MaxNumBatchedTokens { get; init; } = 512;

    /// <summary>While sequences decode, a step that also computes prompt chunks may cost at most about this many times a
    /// decode-only step, which bounds inter-token latency under arriving prompts (p99 near this multiple of the median).
    /// The step's token budget follows from it and from the decoding count (<see cref="StepBudget"/>). 0 turns it off:
    /// prompt chunks fill <see cref="MaxNumBatchedTokens"/> whatever decodes. Larger favours time to first token.</summary>
    public double InterTokenLatencyRatio { get; init; } = 2;

    /// <summary>The fixed cost of one step (what it pays whatever its size: reading the weights) in prompt-token
    /// equivalents, used by the <see cref="InterTokenLatencyRatio"/> budget. Null: measured from the steps as they run.</summary>
    public double? StepFixedCostTokens { get; init; }

    /// <summary>Most prompt tokens one sequence computes in one step (vLLM's long_prefill_token_threshold), so several
    /// arriving prompts share a step's budget instead of the first taking it all; 0: no per-sequence limit.</summary>
    public int LongPrefillTokenThreshold { get; init; }

    /// <summary>Most sequences running at once (each choice of an n &gt; 1 request counts).</summary>
    public int MaxNumSeqs { get; init; } = 64;

    /// <summary>Most requests waiting to be admitted; past it Submit throws <see cref="EngineBusyException"/>.</summary>
    public int MaxQueuedRequests { get; init; } = 256;

    /// <summary>Give a model's sliding-window layers a KV-cache group of their own whose blocks go back to the pool once
    /// the window has passed them (a long chat on Gemma 3 then holds a window, not the whole context, in 5 of its 6
    /// layers). Off: one cache for every layer that keeps every block (attention still applies the windows).</summary>
    public bool FreeSlidingWindowBlocks { get; init; } = true;

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

    /// <summary>Turns on the adaptive switch (<see cref="Speculative.AdaptiveSwitch"/>: per-sequence draft length from a
    /// probe of one, pauses sized by the measured cost of a miss) and is its acceptance floor: a sequence whose drafts
    /// are accepted less often than this, or give fewer tokens than they cost in plain steps, pauses briefly. 0: no
    /// switch, every eligible sequence drafts k tokens every step (tests, benchmarks of the mechanics).</summary>
    public double SpeculativeMinAcceptance { get; init; } = 0.2;

    internal void Validate()
    {
        if (NumSpeculativeTokens is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(NumSpeculativeTokens), "must be in 1..32");
        if (NgramMin < 1 || NgramMax < NgramMin) throw new ArgumentOutOfRangeException(nameof(NgramMin), "need 1 ≤ ngram min ≤ ngram max");
        if (SpeculativeMaxBatchSize < 0) throw new ArgumentOutOfRangeException(nameof(SpeculativeMaxBatchSize), "must be ≥ 0");
        if (SpeculativeMinAcceptance is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(SpeculativeMinAcceptance), "must be in [0, 1]");
        if (BlockSize < 1) throw new ArgumentOutOfRangeException(nameof(BlockSize), "block size must be ≥ 1");
        if (MaxNumBatchedTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNumBatchedTokens), "must be ≥ 1");
        if (InterTokenLatencyRatio is not 0 and < 1 || double.IsNaN(InterTokenLatencyRatio))
            throw new ArgumentOutOfRangeException(nameof(InterTokenLatencyRatio), "must be 0 (off) or ≥ 1");
        if (StepFixedCostTokens is < 0 || StepFixedCostTokens is double w && !double.IsFinite(w))
            throw new ArgumentOutOfRangeException(nameof(StepFixedCostTokens), "must be ≥ 0");
        if (LongPrefillTokenThreshold < 0) throw new ArgumentOutOfRangeException(nameof(LongPrefillTokenThreshold), "must be ≥ 0 (0: no limit)");
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
