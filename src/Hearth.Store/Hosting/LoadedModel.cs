using Hearth.Core.Templates;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;

namespace Hearth.Store.Hosting;

/// <summary>A model that is loaded and ready: what the HTTP layer needs to serve it.</summary>
/// <param name="Name">The name clients use (e.g. "tinystories:latest").</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="ChatTemplate">Its chat template, or null when the model has none (a plain completion model).</param>
/// <param name="Engine">The running engine.</param>
/// <param name="Shape">Shape facts (vocabulary, context length …).</param>
public sealed record LoadedModel(string Name, ITokenizer Tokenizer, IChatTemplate? ChatTemplate, IGenerationEngine Engine, ModelShape Shape)
{
    /// <summary>Default sampling options from the model's Modelfile/manifest (PARAMETER lines), applied under request options.</summary>
    public IReadOnlyDictionary<string, string> DefaultParameters { get; init; } = new Dictionary<string, string>();
    /// <summary>The embedding engine of an embedding or reranking model; null for a generation model (the HTTP layer
    /// answers 400 when one is asked for embeddings). Its lifetime is tied to <see cref="Engine"/>.</summary>
    public IEmbeddingEngine? Embedder { get; init; }
    /// <summary>How a reranker's (query, document) pairs are tokenized and its outputs scored (the GGUF's rerank
    /// template, if any).</summary>
    public RerankInput Rerank { get; init; } = RerankInput.Default;
    /// <summary>Default system prompt (Modelfile SYSTEM), used when a chat has no system message.</summary>
    public string? SystemPrompt { get; init; }
    public DateTimeOffset LoadedAt { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>The LoRA adapters this name runs with (a served adapter name, or a Modelfile ADAPTER); null: the base model.</summary>
    public Engine.Lora.LoraSelection? Lora { get; init; }
    /// <summary>The adapters loaded into this model's weights (null for models that cannot run LoRA, such as encoders).
    /// Its lifetime is tied to <see cref="Engine"/>.</summary>
    public Engine.Lora.LoraAdapterCache? Adapters { get; init; }
    /// <summary>For a served adapter name: the base model's name (whose engine this is); null for a model itself.</summary>
    public string? BaseModelName { get; init; }
    /// <summary>The name of the engine's own model (metrics of the engine are reported under it).</summary>
    public string EngineName => BaseModelName ?? Name;
}

/// <summary>Which models are loaded; loads on first use, keeps them for keep-alive, unloads least-recently-used.</summary>
public interface IModelHost : IAsyncDisposable
{
    /// <summary>The model served when a request names none.</summary>
    string DefaultModelName { get; }

    /// <summary>Gets a loaded model (loading it first if needed; concurrent callers for a loading model wait).
    /// The lease keeps the model loaded until disposed. Throws <see cref="ModelNotFoundException"/> for an unknown name.</summary>
    Task<ModelLease> AcquireAsync(string? name, TimeSpan? keepAlive, CancellationToken cancellationToken);

    /// <summary>Models currently loaded, for /api/ps and `hearth ps`.</summary>
    IReadOnlyList<LoadedModelStatus> Loaded();

    /// <summary>The model of that name (null/empty: the default) if it is loaded now; never loads one and takes no
    /// lease (for observers such as the prefix-cache event stream, which must not keep a model loaded).</summary>
    LoadedModel? FindLoaded(string? name) => null;

    /// <summary>Unloads a model now (keep_alive 0, `hearth stop`); false when it was not loaded. Throws
    /// <see cref="ModelNotFoundException"/> for a name that is neither loaded nor known.</summary>
    Task<bool> UnloadAsync(string name);
}

/// <summary>A use of a loaded model; dispose when the request is done.</summary>
public sealed class ModelLease(LoadedModel model, Action release) : IDisposable
{
    private int _released;
    public LoadedModel Model { get; } = model;
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release();
    }
}

/// <summary>A loaded model's state for /api/ps.</summary>
public sealed record LoadedModelStatus(string Name, long SizeBytes, DateTimeOffset ExpiresAt, int ActiveRequests);
