using System.Threading.Channels;

namespace Hearth.Engine.Embeddings;

/// <summary>The generation side of a model that only embeds or ranks (an encoder): every generation request is a
/// clear 400. It is the one owner of the model's <see cref="IEmbeddingEngine"/> and of what the model lives in (the
/// model, its backend, the mapped file): unloading stops the engine, then frees those in order.</summary>
public sealed class EmbeddingOnlyEngine(string modelName, string architecture, IEmbeddingEngine embedder, IDisposable[] owned) : IGenerationEngine
{
    public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default) =>
        throw new InvalidRequestException(
            $"model '{modelName}' is an embedding model ({architecture}); it cannot generate text. Use /v1/embeddings, /api/embed or /v1/rerank", "model");

    /// <summary>The model's own limits; every generation request is refused anyway.</summary>
    public EngineLimits Limits { get; } = new(embedder.Shape.ContextLength, embedder.Shape.ContextLength, embedder.Shape.VocabSize, 1);

    public EngineStats GetStats() => new() { WaitingRequests = embedder.GetStats().WaitingInputs };

    public async ValueTask DisposeAsync()
    {
        await embedder.DisposeAsync();
        foreach (var d in owned) d.Dispose();
    }
}
