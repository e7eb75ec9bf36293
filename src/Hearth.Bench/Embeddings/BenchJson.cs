using System.Text.Json.Serialization;

namespace Hearth.Bench.Embeddings;

/// <summary>Source-generated JSON for the embedding request body (no reflection).</summary>
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class BenchJson : JsonSerializerContext;
