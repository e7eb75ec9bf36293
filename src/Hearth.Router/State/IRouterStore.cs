namespace Hearth.Router.State;

/// <summary>Where the router keeps virtual keys and usage rows: SQLite for one router (the embedded default),
/// PostgreSQL when several router replicas share them. Calls are synchronous and short; usage rows arrive in
/// batches from <see cref="UsageLog"/>, off the request path.</summary>
public interface IRouterStore : IDisposable
{
    /// <summary>True when other router processes may write the same store, so keys must be looked up there on a miss.</summary>
    bool IsShared { get; }

    void InsertKey(StoredKey key);

    /// <summary>Marks a key revoked; false when no active key has that id.</summary>
    bool RevokeKey(string id);

    /// <summary>Active keys with the total tokens each has used so far (budgets survive restarts).</summary>
    List<(StoredKey Key, long TokensUsed)> LoadKeys();

    /// <summary>One active key by the SHA-256 of its secret, with its tokens used; null when unknown or revoked.</summary>
    (StoredKey Key, long TokensUsed)? FindKey(string hash);

    void InsertUsage(IReadOnlyList<UsageRecord> rows);

    List<UsageSummary> Summaries(string? keyId);
}
