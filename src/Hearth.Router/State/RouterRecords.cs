namespace Hearth.Router.State;

/// <summary>One usage row: who (key id, or "" when open/master), which model and upstream, tokens and outcome.</summary>
public sealed record UsageRecord(long UnixMs, string KeyId, string Model, string Upstream, int PromptTokens, int CompletionTokens, int Status, double LatencyMs);

/// <summary>A virtual key as stored: limits are null when unlimited; <c>Models</c> null means every model.</summary>
public sealed record StoredKey(string Id, string Name, string Hash, IReadOnlyList<string>? Models, int? Rpm, int? Tpm, long? Budget, long CreatedUnixMs);

/// <summary>Usage aggregated per key, model and upstream (GET /admin/usage).</summary>
public sealed record UsageSummary(string KeyId, string Model, string Upstream, long Requests, long PromptTokens, long CompletionTokens);
