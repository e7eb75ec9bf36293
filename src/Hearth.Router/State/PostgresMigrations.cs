using Npgsql;

namespace Hearth.Router.State;

/// <summary>The router's PostgreSQL schema as numbered steps. At start-up each router takes a transaction-scoped
/// advisory lock, reads the version it finds in <c>hearth_schema</c>, and applies the steps after it, so two
/// replicas starting together migrate once and a newer router upgrades an older database in place.</summary>
public static class PostgresMigrations
{
    /// <summary>An arbitrary constant shared by every Hearth router: the advisory lock's key.</summary>
    private const long LockKey = 0x4865_6172_7468_5254; // "HearthRT"

    private static readonly string[] Steps =
    [
        """
        CREATE TABLE hearth_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, models TEXT[],
          rpm INTEGER, tpm INTEGER, budget BIGINT, created_ms BIGINT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT FALSE);
        CREATE TABLE hearth_usage (id BIGSERIAL PRIMARY KEY, ts_ms BIGINT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL,
          upstream TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, status INTEGER NOT NULL,
          latency_ms DOUBLE PRECISION NOT NULL);
        CREATE INDEX hearth_usage_key ON hearth_usage (key_id);
        """,
    ];

    /// <summary>The schema version this router writes.</summary>
    public static int Latest => Steps.Length;

    public static void Apply(NpgsqlDataSource db)
    {
        using var conn = db.OpenConnection();
        using var tx = conn.BeginTransaction();
        Exec(conn, tx, $"SELECT pg_advisory_xact_lock({LockKey})");
        Exec(conn, tx, "CREATE TABLE IF NOT EXISTS hearth_schema (version INTEGER NOT NULL)");
        using var read = new NpgsqlCommand("SELECT MAX(version) FROM hearth_schema", conn, tx);
        var current = read.ExecuteScalar() is int v ? v : 0;
        if (current > Latest)
            throw new InvalidOperationException($"the PostgreSQL schema is at version {current}, newer than this router knows ({Latest}); upgrade the router");
        for (var i = current; i < Latest; i++)
        {
            Exec(conn, tx, Steps[i]);
            Exec(conn, tx, $"INSERT INTO hearth_schema (version) VALUES ({i + 1})");
        }
        tx.Commit();
    }

    private static void Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn, tx);
        cmd.ExecuteNonQuery();
    }
}
