using Microsoft.Data.Sqlite;

namespace Hearth.Router.State;

/// <summary>The router's SQLite file (or an in-memory database): virtual keys and usage rows. One connection,
/// serialised by a lock — writes are batched by <see cref="UsageLog"/>, so contention stays low.</summary>
public sealed class SqliteRouterStore : IRouterStore
{
    private readonly SqliteConnection _conn;
    private readonly Lock _gate = new();

    public SqliteRouterStore(string? path)
    {
        if (path is not null && Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        _conn = new SqliteConnection(path is null ? "Data Source=:memory:" : new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        _conn.Open();
        Exec(path is null ? "" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Exec("""
            CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, models TEXT,
              rpm INTEGER, tpm INTEGER, budget INTEGER, created_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS usage (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL, key_id TEXT NOT NULL,
              model TEXT NOT NULL, upstream TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
              status INTEGER NOT NULL, latency_ms REAL NOT NULL);
            CREATE INDEX IF NOT EXISTS usage_key ON usage(key_id);
            """);
    }

    private void Exec(string sql)
    {
        if (sql.Length == 0) return;
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public bool IsShared => false;

    public void InsertKey(StoredKey k)
    {
        lock (_gate)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "INSERT INTO keys (id, name, hash, models, rpm, tpm, budget, created_ms) VALUES ($id, $n, $h, $m, $r, $t, $b, $c)";
            cmd.Parameters.AddWithValue("$id", k.Id);
            cmd.Parameters.AddWithValue("$n", k.Name);
            cmd.Parameters.AddWithValue("$h", k.Hash);
            cmd.Parameters.AddWithValue("$m", k.Models is null ? DBNull.Value : string.Join('\n', k.Models));
            cmd.Parameters.AddWithValue("$r", (object?)k.Rpm ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$t", (object?)k.Tpm ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$b", (object?)k.Budget ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$c", k.CreatedUnixMs);
            cmd.ExecuteNonQuery();
        }
    }

    public bool RevokeKey(string id)
    {
        lock (_gate)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "UPDATE keys SET revoked = 1 WHERE id = $id AND revoked = 0";
            cmd.Parameters.AddWithValue("$id", id);
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    public List<(StoredKey Key, long TokensUsed)> LoadKeys() => SelectKeys(null);

    public (StoredKey Key, long TokensUsed)? FindKey(string hash) => SelectKeys(hash) is [var one] ? one : null;

    private List<(StoredKey, long)> SelectKeys(string? hash)
    {
        lock (_gate)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = """
                SELECT k.id, k.name, k.hash, k.models, k.rpm, k.tpm, k.budget, k.created_ms,
                  (SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM usage u WHERE u.key_id = k.id)
                FROM keys k WHERE k.revoked = 0 AND ($h IS NULL OR k.hash = $h) ORDER BY k.created_ms
                """;
            cmd.Parameters.AddWithValue("$h", (object?)hash ?? DBNull.Value);
            using var r = cmd.ExecuteReader();
            var list = new List<(StoredKey, long)>();
            while (r.Read())
                list.Add((new StoredKey(r.GetString(0), r.GetString(1), r.GetString(2),
                    r.IsDBNull(3) ? null : r.GetString(3).Split('\n'),
                    r.IsDBNull(4) ? null : r.GetInt32(4), r.IsDBNull(5) ? null : r.GetInt32(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                    r.GetInt64(7)), r.GetInt64(8)));
            return list;
        }
    }

    public void InsertUsage(IReadOnlyList<UsageRecord> rows)
    {
        lock (_gate)
        {
            using var tx = _conn.BeginTransaction();
            using var cmd = _conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO usage (ts_ms, key_id, model, upstream, prompt_tokens, completion_tokens, status, latency_ms) VALUES ($ts, $k, $m, $u, $p, $c, $s, $l)";
            var ps = new[] { "$ts", "$k", "$m", "$u", "$p", "$c", "$s", "$l" }.Select(n => cmd.Parameters.Add(n, SqliteType.Text)).ToArray();
            foreach (var row in rows)
            {
                ps[0].Value = row.UnixMs; ps[1].Value = row.KeyId; ps[2].Value = row.Model; ps[3].Value = row.Upstream;
                ps[4].Value = row.PromptTokens; ps[5].Value = row.CompletionTokens; ps[6].Value = row.Status; ps[7].Value = row.LatencyMs;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    public List<UsageSummary> Summaries(string? keyId)
    {
        lock (_gate)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = """
                SELECT key_id, model, upstream, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens) FROM usage
                WHERE ($k IS NULL OR key_id = $k) GROUP BY key_id, model, upstream ORDER BY key_id, model, upstream
                """;
            cmd.Parameters.AddWithValue("$k", (object?)keyId ?? DBNull.Value);
            using var r = cmd.ExecuteReader();
            var list = new List<UsageSummary>();
            while (r.Read()) list.Add(new UsageSummary(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
            return list;
        }
    }

    public void Dispose()
    {
        lock (_gate) _conn.Dispose();
    }
}
