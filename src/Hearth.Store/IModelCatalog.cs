namespace Hearth.Store;

/// <summary>The local model store as the HTTP layer sees it (/api/tags, /api/show, /api/pull, /api/delete,
/// /api/copy, /v1/models). Implemented by the on-disk ModelStore under HEARTH_HOME.</summary>
public interface IModelCatalog
{
    /// <summary>All models in the store.</summary>
    IReadOnlyList<ModelEntry> List();

    /// <summary>A model by name ("name", "name:tag"; a missing tag means "latest"); null when absent.</summary>
    ModelEntry? Find(string name);

    /// <summary>Downloads a model into the store, reporting progress. Throws on failure (the partial file is removed
    /// or kept for resumption, never shown as a model).</summary>
    Task<ModelEntry> PullAsync(string name, IProgress<PullProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Removes a model's manifest (and blobs no other manifest uses); false when absent.</summary>
    bool Delete(string name);

    /// <summary>Copies a manifest under a new name. Throws <see cref="ModelNotFoundException"/> when the source is absent.</summary>
    ModelEntry Copy(string source, string destination);
}

/// <summary>One model in the store.</summary>
/// <param name="Name">Full name with tag, e.g. "tinystories:latest".</param>
/// <param name="Digest">sha256 of the manifest ("sha256:…"), stable for /api/tags.</param>
/// <param name="GgufPath">Absolute path of the GGUF blob.</param>
/// <param name="SizeBytes">Size of the GGUF blob.</param>
/// <param name="ModifiedAt">When the manifest was last written.</param>
public sealed record ModelEntry(string Name, string Digest, string GgufPath, long SizeBytes, DateTimeOffset ModifiedAt)
{
    public string Family { get; init; } = "";
    public string ParameterSize { get; init; } = "";
    public string QuantizationLevel { get; init; } = "";
    public int ContextLength { get; init; }
    /// <summary>Template override (Modelfile TEMPLATE, Jinja); null = the GGUF's own.</summary>
    public string? Template { get; init; }
    /// <summary>An Ollama registry model's Go TEMPLATE, for display only (never rendered).</summary>
    public string? OllamaTemplate { get; init; }
    public string? System { get; init; }
    public string? License { get; init; }
    /// <summary>Modelfile PARAMETER values (stop may repeat: values joined with '\n').</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    /// <summary>Modelfile MESSAGE lines: (role, content) prepended to every chat.</summary>
    public IReadOnlyList<(string Role, string Content)> Messages { get; init; } = [];
    /// <summary>Absolute paths of its LoRA adapter blobs (Modelfile ADAPTER), applied at scale 1 to every request.</summary>
    public IReadOnlyList<string> AdapterPaths { get; init; } = [];
}

/// <summary>Pull progress, shaped like Ollama's /api/pull stream lines.</summary>
public sealed record PullProgress(string Status, string? Digest = null, long? Total = null, long? Completed = null);
