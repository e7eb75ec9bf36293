using Hearth.Engine.Models;

namespace Hearth.Engine.Embeddings;

/// <summary>A running embedding engine for one loaded encoder (or embedding) model. Thread-safe.</summary>
public interface IEmbeddingEngine : IAsyncDisposable
{
    EmbeddingShape Shape { get; }

    /// <summary>Runs every input (token ids, each non-empty and within the context) once and returns one raw,
    /// unnormalised vector of <see cref="EmbeddingShape.OutputLength"/> floats per input, in order. Inputs of many
    /// calls are packed into shared forward passes. Throws <see cref="EngineBusyException"/> at once when the
    /// waiting queue is full and <see cref="InvalidRequestException"/> for an input the model cannot take.</summary>
    Task<float[][]> EmbedAsync(IReadOnlyList<int[]> inputs, CancellationToken cancellationToken = default);

    /// <summary>A snapshot for /metrics.</summary>
    EmbeddingStats GetStats();
}

/// <summary>Embedding engine counters at one moment.</summary>
public sealed record EmbeddingStats(int WaitingInputs, long InputsTotal, long TokensTotal, long ForwardPassesTotal);
