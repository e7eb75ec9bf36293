using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using Hearth.Router.Keys;
using Hearth.Router.Tests.Shared;

namespace Hearth.Router.Tests;

/// <summary>Two router replicas sharing one PostgreSQL (keys, usage) and one Redis (per-minute limits, budgets):
/// real servers on loopback, started by `.ci/run`.</summary>
public sealed class SharedStateTests
{
    private static string Yaml(PostgresSchema schema, string upstreamUrl) => $$$"""
        master_key: sk-master
        postgres: "{{{schema.ConnectionString}}}"
        redis: "{{{SharedStateServers.Redis}}}"
        upstreams:
          - {name: up, url: "{{{upstreamUrl}}}", models: {m: m-up}}
        models:
          m: {}
        """;

    private sealed class Fleet : IAsyncDisposable
    {
        public required FakeUpstream UpstreamA, UpstreamB;
        public required RouterHost A, B;
        public required HttpClient ClientA, ClientB;
        public required PostgresSchema Schema;

        public static async Task<Fleet> StartAsync()
        {
            var schema = await SharedStateServers.NewSchemaAsync();
            var ua = await FakeUpstream.StartAsync("a");
            var ub = await FakeUpstream.StartAsync("b");
            // Both routers start at once: the schema migration must happen exactly once.
            var started = await Task.WhenAll(
                RouterHost.StartAsync(RouterConfigLoader.Parse(Yaml(schema, ua.V1).Replace("name: up", "name: a"))),
                RouterHost.StartAsync(RouterConfigLoader.Parse(Yaml(schema, ub.V1).Replace("name: up", "name: b"))));
            return new Fleet
            {
                UpstreamA = ua, UpstreamB = ub, A = started[0], B = started[1], Schema = schema,
                ClientA = new HttpClient { BaseAddress = started[0].Address, Timeout = TimeSpan.FromSeconds(20) },
                ClientB = new HttpClient { BaseAddress = started[1].Address, Timeout = TimeSpan.FromSeconds(20) },
            };
        }

        public async ValueTask DisposeAsync()
        {
            ClientA.Dispose();
            ClientB.Dispose();
            await A.DisposeAsync();
            await B.DisposeAsync();
            await UpstreamA.DisposeAsync();
            await UpstreamB.DisposeAsync();
            await Schema.DisposeAsync();
        }
    }

    private static async Task<(string Secret, string Id)> CreateKeyAsync(HttpClient client, object body)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "admin/keys") { Content = JsonContent.Create(body) };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
        using var res = await client.SendAsync(req);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var json = await RouterTestBed.JsonOf(res);
        return (json["key"]!.GetValue<string>(), json["id"]!.GetValue<string>());
    }

    private static async Task<HttpStatusCode> ChatAsync(HttpClient client, string key, bool stream = false)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = RouterTestBed.ChatBody("m", stream: stream) };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var res = await client.SendAsync(req);
        await res.Content.ReadAsByteArrayAsync();
        return res.StatusCode;
    }

    [SharedStateFact]
    public async Task TwoRoutersEnforceOneRequestsPerMinuteLimitTogether()
    {
        await using var fleet = await Fleet.StartAsync();
        // A key made on router A is known to router B through PostgreSQL.
        var (secret, _) = await CreateKeyAsync(fleet.ClientA, new { rpm = 5 });
        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => ChatAsync(i % 2 == 0 ? fleet.ClientA : fleet.ClientB, secret)));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(7, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(5, fleet.UpstreamA.Requests + fleet.UpstreamB.Requests);
        Assert.True(fleet.UpstreamA.Requests > 0 || fleet.UpstreamB.Requests > 0);
    }

    [SharedStateFact]
    public async Task TwoRoutersSpendOneBudgetAndOneTokensPerMinuteWindow()
    {
        await using var fleet = await Fleet.StartAsync();
        // Each non-streamed answer costs 15 tokens: 0, 15, 30 are under 40; at 45 the budget is spent.
        var (budgetKey, _) = await CreateKeyAsync(fleet.ClientA, new { budget = 40 });
        var budgetStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) budgetStatuses.Add(await ChatAsync(i % 2 == 0 ? fleet.ClientA : fleet.ClientB, budgetKey));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], budgetStatuses);

        // Streamed answers cost 9 tokens (their usage chunk); 20 tokens a minute admits 0, 9, 18 and refuses at 27.
        var (tpmKey, _) = await CreateKeyAsync(fleet.ClientB, new { tpm = 20 });
        var tpmStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) tpmStatuses.Add(await ChatAsync(i % 2 == 0 ? fleet.ClientB : fleet.ClientA, tpmKey, stream: true));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], tpmStatuses);
    }

    [SharedStateFact]
    public async Task UsageFromBothRoutersLandsInOneTableAndARestartLosesNothing()
    {
        await using var fleet = await Fleet.StartAsync();
        var (secret, id) = await CreateKeyAsync(fleet.ClientA, new { name = "team", budget = 60 });
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(fleet.ClientA, secret));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(fleet.ClientB, secret));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(fleet.ClientB, secret));
        await fleet.A.State.UsageLog.FlushAsync();
        await fleet.B.State.UsageLog.FlushAsync();
        var rows = await fleet.Schema.RowsAsync("SELECT key_id, model, upstream, prompt_tokens, completion_tokens, status FROM hearth_usage ORDER BY upstream, id");
        Assert.Equal([$"{id}|m|a|10|5|200", $"{id}|m|b|10|5|200", $"{id}|m|b|10|5|200"], rows);
        Assert.Equal(["1"], await fleet.Schema.RowsAsync("SELECT version FROM hearth_schema"));

        // Router A restarts: it finds the key and the 45 tokens spent; one more request passes (45 < 60), then 429.
        var config = fleet.A.State.Config;
        await fleet.A.DisposeAsync();
        var restarted = await RouterHost.StartAsync(config);
        fleet.A = restarted; // the fleet disposes it
        using var client = new HttpClient { BaseAddress = restarted.Address };
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(client, secret));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ChatAsync(fleet.ClientB, secret));
        using var list = new HttpRequestMessage(HttpMethod.Get, "admin/keys");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
        using var listed = await client.SendAsync(list);
        var key = Assert.Single((await RouterTestBed.JsonOf(listed))["data"]!.AsArray())!;
        Assert.Equal(60, key["tokens_used"]!.GetValue<long>());
    }

    [SharedStateFact]
    public async Task AKeyRevokedOnOneRouterStopsWorkingOnTheOther()
    {
        await using var fleet = await Fleet.StartAsync();
        var (secret, id) = await CreateKeyAsync(fleet.ClientA, new { name = "short-lived" });
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(fleet.ClientB, secret));
        using var del = new HttpRequestMessage(HttpMethod.Delete, $"admin/keys/{id}");
        del.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
        using (var r = await fleet.ClientA.SendAsync(del)) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(fleet.ClientA, secret));
        // Router B re-reads a cached key after KeyManager.RefreshMs.
        await Task.Delay(TimeSpan.FromMilliseconds(KeyManager.RefreshMs + 300));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(fleet.ClientB, secret));
    }
}
