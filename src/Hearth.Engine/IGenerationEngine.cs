using System.Threading.Channels;

namespace Hearth.Engine;

/// <summary>A running engine for one loaded model (AsyncEngine). Thread-safe.</summary>
public interface IGenerationEngine : IAsyncDisposable
{
    /// <summary>Queues a request. Deltas stream out of the returned reader; the reader completes after the last
    /// choice finishes. Cancelling <paramref name="cancellationToken"/> (client gone) aborts the request and frees
    /// its KV blocks at the next step. Throws <see cref="EngineBusyException"/> at once when the waiting queue is
    /// full and <see cref="InvalidRequestException"/> for a request the model cannot take.</summary>
    ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>A snapshot for /metrics and /api/ps.</summary>
    EngineStats GetStats();

    /// <summary>The prefix cache's contents as events, for cache-aware routing; null when the engine has no prefix cache.</summary>
    PrefixCacheEvents? PrefixCache => null;

    /// <summary>What a request may ask of this engine; the HTTP layer validates against these before submitting.</summary>
    EngineLimits Limits { get; }
}

/// <summary>The limits an engine really has, fixed when it is built.</summary>
/// <param name="MaxModelLength">Longest prompt + completion: the model's context, capped by what the KV cache holds.</param>
/// <param name="ModelContextLength">The model's own context length (the cap's other side, for error messages).</param>
/// <param name="VocabSize">Token ids run 0..VocabSize-1.</param>
/// <param name="MaxNumSeqs">Most sequences one request may run (its n).</param>
public sealed record EngineLimits(int MaxModelLength, int ModelContextLength, int VocabSize, int MaxNumSeqs);

/// <summary>Engine counters and gauges at one moment.</summary>
public sealed record EngineStats
{
    public int RunningRequests { get; init; }
    public int WaitingRequests { get; init; }
    /// <summary>KV blocks over every KV-cache group's pool (a model with sliding-window layers has a pool for them whose
    /// blocks go back once the window passes them), and those in use (blocks that only serve the prefix cache are free).</summary>
    public int TotalKvBlocks { get; init; }
    public int UsedKvBlocks { get; init; }
    /// <summary>The same as bytes (blocks of different groups hold different layers); 0 when not known.</summary>
    public long KvCacheTotalBytes { get; init; }
    public long KvCacheUsedBytes { get; init; }
    /// <summary>Fraction of the KV cache in use: by bytes when known, else by blocks.</summary>
    public double KvCacheUsage => KvCacheTotalBytes > 0 ? (double)KvCacheUsedBytes / KvCacheTotalBytes
        : TotalKvBlocks == 0 ? 0 : (double)UsedKvBlocks / TotalKvBlocks;
    public long PrefixCacheQueries { get; init; }
    public long PrefixCacheHits { get; init; }
    public long PromptTokensTotal { get; init; }
    public long GenerationTokensTotal { get; init; }
    public long PreemptionsTotal { get; init; }
    /// <summary>Speculative decoding counters; null when the engine does not speculate.</summary>
    public Speculative.SpeculativeDecodingStats? Speculative { get; init; }
    /// <summary>Device memory in use and in total when the model runs on a GPU (set by the composition root); null on the CPU.</summary>
    public long? DeviceMemoryUsedBytes { get; init; }
    public long? DeviceMemoryTotalBytes { get; init; }
    /// <summary>Unfinished requests with LoRA adapters, by adapter selection (its name), split into running and waiting.</summary>
    public IReadOnlyDictionary<string, int> RunningLoraRequests { get; init; } = EmptyCounts;
    public IReadOnlyDictionary<string, int> WaitingLoraRequests { get; init; } = EmptyCounts;

    private static readonly IReadOnlyDictionary<string, int> EmptyCounts = new Dictionary<string, int>();
}
