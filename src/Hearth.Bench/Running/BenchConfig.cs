using Hearth.Bench.Client;
using Hearth.Bench.Metrics;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Running;

/// <summary>A whole benchmark: the servers (one, or two to compare), the sweep, the workload and limits.
/// <see cref="Requests"/> null means the default per level (see <see cref="RequestsFor"/>).</summary>
public sealed record BenchConfig(
    IReadOnlyList<Target> Targets,
    EndpointKind Endpoint,
    LoadMode Mode,
    IReadOnlyList<double> Levels,
    int? Requests,
    TimeSpan Duration,
    WorkloadSpec Workload,
    bool IgnoreEos = false,
    Slo? Slo = null,
    int Seed = 0,
    int Warmup = 1,
    string? TokenizerPath = null,
    string? ResponseFormatJson = null)
{
    /// <summary>Builds the <c>response_format</c> object for <c>--response-format</c>: <c>json_object</c>, or the path
    /// of a JSON Schema file (sent as a strict <c>json_schema</c>). Throws <see cref="FormatException"/> with the reason.</summary>
    public static string ResponseFormatFor(string value)
    {
        if (value == "json_object") return "{\"type\":\"json_object\"}";
        if (!File.Exists(value)) throw new FormatException($"--response-format: '{value}' is neither json_object nor a JSON Schema file");
        System.Text.Json.Nodes.JsonNode? schema;
        try { schema = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(value)); }
        catch (System.Text.Json.JsonException e) { throw new FormatException($"--response-format: {value} is not JSON: {e.Message}"); }
        if (schema is not System.Text.Json.Nodes.JsonObject) throw new FormatException($"--response-format: {value} must hold a JSON Schema object");
        return new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "bench", ["strict"] = true, ["schema"] = schema },
        }.ToJsonString();
    }

    /// <summary>Requests for one level: --requests when given; else 5 per concurrent slot (at least 20), or
    /// 30 seconds' worth of arrivals at the given rate (at least 20).</summary>
    public int RequestsFor(double level) => Requests ?? (Mode == LoadMode.Concurrency
        ? Math.Max(20, 5 * (int)level)
        : Math.Max(20, (int)Math.Ceiling(30 * level)));

    /// <summary>Checks the configuration; returns a message for the user or null when valid.</summary>
    public string? Validate()
    {
        if (Targets.Count is < 1 or > 2) return "give one --url, and at most one --compare-url";
        if (Levels.Count == 0) return Mode == LoadMode.Concurrency ? "--concurrency needs at least one value" : "--rate needs at least one value";
        foreach (var l in Levels)
        {
            if (Mode == LoadMode.Concurrency && (l < 1 || l != Math.Floor(l) || l > 10_000))
                return $"--concurrency values must be whole numbers from 1 to 10000 (got {l})";
            if (Mode == LoadMode.Rate && (!(l > 0) || !double.IsFinite(l) || l > 100_000))
                return $"--rate values must be positive requests per second (got {l})";
        }
        if (Requests is < 1) return "--requests must be at least 1";
        if (Duration <= TimeSpan.Zero) return "--duration must be positive";
        if (Warmup < 0) return "--warmup must be 0 or more";
        return Workload.Validate();
    }
}
