using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hearth.Store;

/// <summary>The small JSON file per <c>name:tag</c> under <c>manifests/</c>: which GGUF blob the model is, plus the
/// Modelfile settings layered on it and facts read once from the GGUF (so listing never reopens big files).</summary>
public sealed record ModelManifest
{
    public int SchemaVersion { get; init; } = 1;
    /// <summary>"sha256:&lt;hex&gt;" of the GGUF blob.</summary>
    public required string Gguf { get; init; }
    public long Size { get; init; }
    public string? Template { get; init; }
    /// <summary>An Ollama registry model's TEMPLATE (a Go template), for display only: rendering uses
    /// <see cref="Template"/> or else the GGUF's own chat template.</summary>
    public string? OllamaTemplate { get; init; }
    public string? System { get; init; }
    public string? License { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = new(StringComparer.Ordinal);
    public List<ManifestMessage> Messages { get; init; } = [];
    /// <summary>"sha256:&lt;hex&gt;" blobs of LoRA adapters (Modelfile ADAPTER) applied to the model at scale 1.</summary>
    public List<string> Adapters { get; init; } = [];
    public string Family { get; init; } = "";
    public string ParameterSize { get; init; } = "";
    public string QuantizationLevel { get; init; } = "";
    public int ContextLength { get; init; }
    /// <summary>Where the model came from (a URL, a file path or another model), for `hearth show`.</summary>
    public string? Source { get; init; }

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, StoreJsonContext.Default.ModelManifest);

    /// <summary>Parses a manifest; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static ModelManifest FromJson(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            var m = JsonSerializer.Deserialize(json, StoreJsonContext.Default.ModelManifest) ?? throw new InvalidDataException($"{what}: empty manifest");
            if (!BlobDigest.IsValid(m.Gguf))
                throw new InvalidDataException($"{what}: gguf digest '{m.Gguf}' is not sha256:<64 hex>");
            return m;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what}: not a valid manifest ({e.Message})", e);
        }
    }
}

/// <summary>One Modelfile MESSAGE line as stored in a manifest.</summary>
public sealed record ManifestMessage(string Role, string Content);
