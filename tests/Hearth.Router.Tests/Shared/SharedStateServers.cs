using Npgsql;

namespace Hearth.Router.Tests.Shared;

/// <summary>The real PostgreSQL and Redis servers that `.ci/run` starts on loopback, named by
/// HEARTH_TEST_POSTGRES (an Npgsql connection string) and HEARTH_TEST_REDIS (host:port).</summary>
public static class SharedStateServers
{
    public static string? Postgres => Environment.GetEnvironmentVariable("HEARTH_TEST_POSTGRES") is { Length: > 0 } v ? v : null;
    public static string? Redis => Environment.GetEnvironmentVariable("HEARTH_TEST_REDIS") is { Length: > 0 } v ? v : null;

    /// <summary>A fresh schema for one test, so tests never see each other's keys or usage; dropped on dispose.</summary>
    public static async Task<PostgresSchema> NewSchemaAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..12];
        await using var conn = new NpgsqlConnection(Postgres);
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand($"CREATE SCHEMA {name}", conn)) await cmd.ExecuteNonQueryAsync();
        return new PostgresSchema(name, new NpgsqlConnectionStringBuilder(Postgres) { SearchPath = name, Pooling = false }.ConnectionString);
    }
}

/// <summary>A test's own schema and the connection string whose search path selects it.</summary>
public sealed record PostgresSchema(string Name, string ConnectionString) : IAsyncDisposable
{
    public async Task<List<string>> RowsAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await r.ReadAsync())
            rows.Add(string.Join('|', Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "null" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(SharedStateServers.Postgres);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP SCHEMA {Name} CASCADE", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>A fact that needs the PostgreSQL and Redis servers; skipped with the reason when the variables are unset
/// (`.ci/run` always sets them).</summary>
public sealed class SharedStateFactAttribute : FactAttribute
{
    public SharedStateFactAttribute()
    {
        if (SharedStateServers.Postgres is null || SharedStateServers.Redis is null)
            Skip = "HEARTH_TEST_POSTGRES / HEARTH_TEST_REDIS are not set (.ci/run starts PostgreSQL and Redis and sets them)";
    }
}
