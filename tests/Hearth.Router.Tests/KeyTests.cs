using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Hearth.Router.Tests;

public sealed class KeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-router-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string Yaml => $$$"""
        master_key: sk-master
        database: {{{_dir}}}/router.db
        upstreams:
          - {name: a, url: "{a}", models: {m: m-up, other: o-up}}
        models:
          m: {}
          other: {}
        """;

    private static async Task<(string Secret, string Id)> CreateKey(RouterTestBed bed, object body)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "admin/keys") { Content = JsonContent.Create(body) };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
        using var res = await bed.Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var json = await RouterTestBed.JsonOf(res);
        return (json["key"]!.GetValue<string>(), json["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task MasterKeyGuardsProxyAndAdmin()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        using (var r = await bed.ChatAsync("m")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await bed.ChatAsync("m", key: "sk-wrong"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("invalid_api_key", (await RouterTestBed.JsonOf(r))["error"]!["code"]!.GetValue<string>());
        }
        using (var r = await bed.ChatAsync("m", key: "sk-master")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await bed.Client.PostAsync("admin/keys", JsonContent.Create(new { name = "x" }))) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        var (secret, _) = await CreateKey(bed, new { name = "only-m", models = new[] { "m" } });
        Assert.StartsWith("sk-hearth-", secret);
        using (var r = await bed.ChatAsync("m", key: secret)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await bed.ChatAsync("other", key: secret)) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using var models = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        models.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var mres = await bed.Client.SendAsync(models);
        Assert.Equal(["m"], (await RouterTestBed.JsonOf(mres))["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        Assert.Equal(2, bed["a"].Requests);
    }

    [Fact]
    public async Task RequestsPerMinuteLimitAnswers429WithRetryAfter()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        var (secret, _) = await CreateKey(bed, new { rpm = 2 });
        using (var r = await bed.ChatAsync("m", key: secret)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await bed.ChatAsync("m", key: secret)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await bed.ChatAsync("m", key: secret))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            var retryAfter = int.Parse(r.Headers.GetValues("Retry-After").Single());
            Assert.InRange(retryAfter, 55, 60);
            var err = (await RouterTestBed.JsonOf(r))["error"]!;
            Assert.Equal("rate_limit_error", err["type"]!.GetValue<string>());
            Assert.Equal("rate limit of 2 requests per minute reached", err["message"]!.GetValue<string>());
        }
        Assert.Equal(2, bed["a"].Requests);
        // The master key is not limited.
        using (var r = await bed.ChatAsync("m", key: "sk-master")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task TokenLimitsAndBudgetsCountUsageFromResponses()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        var (tpmKey, _) = await CreateKey(bed, new { tpm = 20 });
        using (var r = await bed.ChatAsync("m", key: tpmKey)) Assert.Equal(HttpStatusCode.OK, r.StatusCode); // 15 tokens
        using (var r = await bed.ChatAsync("m", key: tpmKey)) Assert.Equal(HttpStatusCode.OK, r.StatusCode); // 30 tokens
        using (var r = await bed.ChatAsync("m", key: tpmKey))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.True(r.Headers.RetryAfter is not null);
            Assert.Equal("rate limit of 20 tokens per minute reached", (await RouterTestBed.JsonOf(r))["error"]!["message"]!.GetValue<string>());
        }

        // Streamed usage counts too: the router asks for include_usage; the final chunk reports 7 + 2 tokens.
        var (budgetKey, budgetId) = await CreateKey(bed, new { budget = 18 });
        using (var r = await bed.ChatAsync("m", key: budgetKey, stream: true))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("\"usage\":{\"prompt_tokens\":7", await r.Content.ReadAsStringAsync());
        }
        Assert.True(bed["a"].Bodies.Last()["stream_options"]!["include_usage"]!.GetValue<bool>());
        using (var r = await bed.ChatAsync("m", key: budgetKey, stream: true)) Assert.Equal(HttpStatusCode.OK, r.StatusCode); // 9 used < 18
        using (var r = await bed.ChatAsync("m", key: budgetKey))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode); // 18 used >= 18
            var err = (await RouterTestBed.JsonOf(r))["error"]!;
            Assert.Equal("insufficient_quota", err["code"]!.GetValue<string>());
            Assert.Equal("token budget exhausted (18 of 18 tokens used)", err["message"]!.GetValue<string>());
        }

        using var usageReq = new HttpRequestMessage(HttpMethod.Get, $"admin/usage?key={budgetId}");
        usageReq.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
        using var usageRes = await bed.Client.SendAsync(usageReq);
        var row = Assert.Single((await RouterTestBed.JsonOf(usageRes))["data"]!.AsArray())!;
        Assert.Equal(budgetId, row["key"]!.GetValue<string>());
        Assert.Equal("m", row["model"]!.GetValue<string>());
        Assert.Equal("a", row["upstream"]!.GetValue<string>());
        Assert.Equal(2, row["requests"]!.GetValue<long>());
        Assert.Equal(14, row["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(4, row["completion_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task UsageRowsAndKeysPersistInSqliteAcrossRestarts()
    {
        string secret, id;
        await using (var bed = await RouterTestBed.StartAsync(Yaml, "a"))
        {
            (secret, id) = await CreateKey(bed, new { name = "team", budget = 40 });
            for (var i = 0; i < 2; i++)
                using (var r = await bed.ChatAsync(i == 0 ? "m" : "other", key: secret)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using (var r = await bed.ChatAsync("m", key: "sk-master")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        await using (var conn = new SqliteConnection($"Data Source={_dir}/router.db"))
        {
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT key_id, model, upstream, prompt_tokens, completion_tokens, status FROM usage ORDER BY id";
            await using var reader = await cmd.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
                rows.Add($"{reader.GetString(0)}|{reader.GetString(1)}|{reader.GetString(2)}|{reader.GetInt32(3)}|{reader.GetInt32(4)}|{reader.GetInt32(5)}");
            Assert.Equal([$"{id}|m|a|10|5|200", $"{id}|other|a|10|5|200", "|m|a|10|5|200"], rows);
        }
        // A restarted router knows the key and its spent budget (30 of 40): one more request passes, then 429.
        await using (var bed = await RouterTestBed.StartAsync(Yaml, "a"))
        {
            using (var r = await bed.ChatAsync("m", key: secret)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using (var r = await bed.ChatAsync("m", key: secret)) Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            using var del = new HttpRequestMessage(HttpMethod.Delete, $"admin/keys/{id}");
            del.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
            using (var r = await bed.Client.SendAsync(del)) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
            using (var r = await bed.ChatAsync("m", key: secret)) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
    }

    [Fact]
    public async Task WithoutMasterKeyTheRouterIsOpen()
    {
        await using var bed = await RouterTestBed.StartAsync("""
            upstreams:
              - {name: a, url: "{a}", models: {m: m}}
            models:
              m: {}
            """, "a");
        using (var r = await bed.ChatAsync("m")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await bed.ChatAsync("m", key: "anything")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var usage = (JsonObject)JsonNode.Parse(await bed.Client.GetStringAsync("admin/usage"))!;
        var row = Assert.Single(usage["data"]!.AsArray())!;
        Assert.Equal("", row["key"]!.GetValue<string>());
        Assert.Equal(2, row["requests"]!.GetValue<long>());
    }
}
