using Npgsql;
using NpgsqlTypes;

namespace Hearth.Router.State;

/// <summary>Keys and usage in PostgreSQL, shared by every router replica that names the same database. The schema is
/// created and migrated at start-up (<see cref="PostgresMigrations"/>); connections come from Npgsql's pool, so
/// concurrent requests and the usage writer never wait on each other.</summary>
public sealed class PostgresRouterStore : IRouterStore
{
    private readonly NpgsqlDataSource _db;

    public PostgresRouterStore(string connectionString)
    {
        _db = NpgsqlDataSource.Create(connectionString);
        try { PostgresMigrations.Apply(_db); }
        catch
        {
            _db.Dispose();
            throw;
        }
    }

    public bool IsShared => true;

    public void InsertKey(StoredKey k)
    {
        using var cmd = _db.CreateCommand(
            "INSERT INTO hearth_keys (id, name, hash, models, rpm, tpm, budget, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = k.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = k.Name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = k.Hash });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)k.Models?.ToArray() ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)k.Rpm ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)k.Tpm ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)k.Budget ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter { Value = k.CreatedUnixMs });
        cmd.ExecuteNonQuery();
    }

    public bool RevokeKey(string id)
    {
        using var cmd = _db.CreateCommand("UPDATE hearth_keys SET revoked = TRUE WHERE id = $1 AND NOT revoked");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return cmd.ExecuteNonQuery() == 1;
    }

    public List<(StoredKey Key, long TokensUsed)> LoadKeys() => SelectKeys(null);

    public (StoredKey Key, long TokensUsed)? FindKey(string hash) => SelectKeys(hash) is [var one] ? one : null;

    private List<(StoredKey, long)> SelectKeys(string? hash)
    {
        using var cmd = _db.CreateCommand("""
            SELECT k.id, k.name, k.hash, k.models, k.rpm, k.tpm, k.budget, k.created_ms,
              (SELECT COALESCE(SUM(u.prompt_tokens + u.completion_tokens), 0) FROM hearth_usage u WHERE u.key_id = k.id)::bigint
            FROM hearth_keys k WHERE NOT k.revoked AND ($1::text IS NULL OR k.hash = $1) ORDER BY k.created_ms, k.id
            """);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)hash ?? DBNull.Value });
        using var r = cmd.ExecuteReader();
        var list = new List<(StoredKey, long)>();
        while (r.Read())
            list.Add((new StoredKey(r.GetString(0), r.GetString(1), r.GetString(2),
                r.IsDBNull(3) ? null : r.GetFieldValue<string[]>(3),
                r.IsDBNull(4) ? null : r.GetInt32(4), r.IsDBNull(5) ? null : r.GetInt32(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                r.GetInt64(7)), r.GetInt64(8)));
        return list;
    }

    /// <summary>Writes a batch with one COPY, the fastest way into PostgreSQL, inside the writer's own connection.</summary>
    public void InsertUsage(IReadOnlyList<UsageRecord> rows)
    {
        using var conn = _db.OpenConnection();
        using var copy = conn.BeginBinaryImport(
            "COPY hearth_usage (ts_ms, key_id, model, upstream, prompt_tokens, completion_tokens, status, latency_ms) FROM STDIN (FORMAT BINARY)");
        foreach (var row in rows)
        {
            copy.StartRow();
            copy.Write(row.UnixMs, NpgsqlDbType.Bigint);
            copy.Write(row.KeyId, NpgsqlDbType.Text);
            copy.Write(row.Model, NpgsqlDbType.Text);
            copy.Write(row.Upstream, NpgsqlDbType.Text);
            copy.Write(row.PromptTokens, NpgsqlDbType.Integer);
            copy.Write(row.CompletionTokens, NpgsqlDbType.Integer);
            copy.Write(row.Status, NpgsqlDbType.Integer);
            copy.Write(row.LatencyMs, NpgsqlDbType.Double);
        }
        copy.Complete();
    }

    public List<UsageSummary> Summaries(string? keyId)
    {
        using var cmd = _db.CreateCommand("""
            SELECT key_id, model, upstream, COUNT(*), SUM(prompt_tokens)::bigint, SUM(completion_tokens)::bigint FROM hearth_usage
            WHERE ($1::text IS NULL OR key_id = $1) GROUP BY key_id, model, upstream ORDER BY key_id, model, upstream
            """);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)keyId ?? DBNull.Value });
        using var r = cmd.ExecuteReader();
        var list = new List<UsageSummary>();
        while (r.Read()) list.Add(new UsageSummary(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        return list;
    }

    public void Dispose() => _db.Dispose();
}
