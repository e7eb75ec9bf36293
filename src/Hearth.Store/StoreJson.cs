using System.Text.Json.Serialization;

namespace Hearth.Store;

/// <summary>Source-generated JSON for what the store writes and reads (manifests, Ollama's messages layer): no
/// reflection, so the Native AOT build reads and writes the same bytes as every other build.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(ModelManifest))]
[JsonSerializable(typeof(List<ManifestMessage>))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;

/// <summary>A partial download's sidecar, in the default (PascalCase) shape it has always had on disk.</summary>
[JsonSerializable(typeof(PartialDownload.Sidecar))]
internal sealed partial class SidecarJsonContext : JsonSerializerContext;
