using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hearth.Cli.Commands;
using Hearth.Core.Gguf;
using Hearth.Engine;
using Hearth.Router;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using Hearth.Server;
using Hearth.Store.Hosting;
using Hearth.Store.Synthetic;
using Hearth.Tests;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Cli.Tests.Fleet;

/// <summary>kv-aware routing of LoRA requests, end to end: two real servers on the embedded model, each serving the same
/// random adapter file as "ada", behind the real router. A prefix computed under the adapter is keyed by the adapter
/// (the engine seeds its hash chain with the selection's hash), so the hashes the router compares must start there too:
/// a second request to "ada" — or to the base with llama-server's <c>lora</c> field selecting the same adapter at the
/// same scale — goes to the replica holding the first one's prefix, while a bare-model request with the same prefix
/// finds nothing cached there (a prefix computed under an adapter is no hit for it).</summary>
public sealed class KvAwareAdapterRoutingTests : IAsyncLifetime
{
    private const string BaseName = "tinystories:latest";
    private const string Story = "Once upon a time there was a little girl named Lily. She loved to play outside in the park with her " +
        "big red ball. One day she saw a small dog under a tree. The dog was sad because it had lost its way home. Lily " +
        "said she would help, and together they walked down the long road past the river and the old mill.";

    private readonly string _folder = Directory.CreateTempSubdirectory("hearth-kv-lora-").FullName;
    private readonly List<(WebApplication App, LoraModelHost Host)> _servers = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private RouterHost? _router;

    public async Task InitializeAsync()
    {
        var adapter = Path.Combine(_folder, "ada.gguf");
        SyntheticLora.Write(adapter, TestPaths.EmbeddedModel, new SyntheticLora.Options(4, 8, [.. SyntheticLora.Targets.Keys], GgmlType.F32, 7));
        var origins = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var settings = new ServeEngineSettings(Threads: 1, new EngineOptions { KvCacheMemoryBytes = 32L << 20, MaxNumSeqs = 8 });
            var registry = new LoraRegistry();
            registry.TryAdd(new LoraSpec("ada", adapter));
            var host = new LoraModelHost(new StaticModelHost([ServeModelLoader.Load(BaseName, TestPaths.EmbeddedModel, null, settings)]), registry);
            var app = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false }, host);
            _servers.Add((app, host));
            await app.StartAsync();
            origins.Add(HearthServer.BoundAddresses(app)[0].TrimEnd('/') + "/");
        }
        var yaml = "upstreams:\n" + string.Concat(origins.Select((o, i) => $"  - {{name: r{i}, url: \"{o}v1\", models: {{ada: ada, base: \"{BaseName}\"}}}}\n"))
                 + "models:\n  ada: {policy: kv-aware}\n  base: {policy: kv-aware}\n";
        _router = await RouterHost.StartAsync(RouterConfigLoader.Parse(yaml, "kv-lora-test"));
        await UntilAsync(() => Followers().Count == 4 && Followers().All(f => f.Index.IsLive(RouterState.NowMs)),
            "the router should follow both replicas' events for the adapter's name and the base's");
    }

    private List<(string Upstream, string Model, Hearth.Router.KvRouting.ReplicaPrefixIndex Index)> Followers() =>
        _router!.State.PrefixCache!.Indexes(_router.State.Upstreams).ToList();

    [Fact]
    public async Task AdapterRequestsWithASharedPrefixMeetOnOneReplicaAndABaseRequestFindsNothingThere()
    {
        var prefix = Story + " " + Guid.NewGuid().ToString("N"); // new blocks whatever other tests cached
        var first = await CompleteAsync(new { model = "ada", prompt = prefix + " one", max_tokens = 1 });
        var holder = first.Upstream;

        // The replica answers the adapter's hashes from the adapter's root: none equals the bare model's.
        var adapterHashes = await HashesAsync(holder, new { model = "ada", prompt = prefix + " two" });
        var baseHashes = await HashesAsync(holder, new { model = BaseName, prompt = prefix + " two" });
        Assert.True(adapterHashes.Length >= 3, $"the prefix should span several blocks, got {adapterHashes.Length}");
        Assert.Empty(adapterHashes.Intersect(baseHashes));
        var viaField = await HashesAsync(holder, new { model = BaseName, prompt = prefix + " two", lora = new[] { new { id = 0, scale = 1.0 } } });
        Assert.Equal(adapterHashes, viaField);

        // Wait until the router has seen the first request's blocks and its replica is idle again (a busy one may lose).
        var index = Followers().Single(f => f.Upstream == holder && f.Model == "ada").Index;
        int shared = adapterHashes.Length - 1; // the last block differs (" one" / " two")
        await UntilAsync(() => index.MatchedBlocks(Parse(adapterHashes)) >= shared && index.Running == 0 && index.Waiting == 0,
            "the router's index should hold the first adapter request's blocks");

        var hitsBefore = await HitBlocksAsync(holder);
        var second = await CompleteAsync(new { model = "ada", prompt = prefix + " two", max_tokens = 1 });
        Assert.Equal(holder, second.Upstream);
        Assert.True(await HitBlocksAsync(holder) - hitsBefore >= shared, "the second adapter request should count its shared blocks as hits");

        await UntilAsync(() => index.Running == 0 && index.Waiting == 0, "the replica should be idle");
        hitsBefore = await HitBlocksAsync(holder);
        var third = await CompleteAsync(new { model = "base", prompt = prefix + " three", max_tokens = 1, lora = new[] { new { id = 0, scale = 1.0 } } });
        Assert.Equal(holder, third.Upstream);
        Assert.True(await HitBlocksAsync(holder) - hitsBefore >= shared, "the same adapter chosen by the lora field should hit the same blocks");

        var total = await HitBlocksAsync("r0") + await HitBlocksAsync("r1");
        await CompleteAsync(new { model = "base", prompt = prefix + " four", max_tokens = 1 });
        Assert.Equal(total, await HitBlocksAsync("r0") + await HitBlocksAsync("r1")); // the bare model: no hit anywhere
    }

    private async Task<(string Upstream, JsonObject Body)> CompleteAsync(object body)
    {
        using var res = await _http.PostAsJsonAsync(new Uri(_router!.Address, "v1/completions"), body);
        res.EnsureSuccessStatusCode();
        var upstream = res.Headers.TryGetValues("x-hearth-upstream", out var v) ? v.Single() : throw new InvalidOperationException("no x-hearth-upstream header");
        return (upstream, (await res.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    private async Task<string[]> HashesAsync(string upstream, object body)
    {
        var origin = HearthServer.BoundAddresses(_servers[int.Parse(upstream[1..])].App)[0].TrimEnd('/');
        using var res = await _http.PostAsJsonAsync(origin + "/v1/prefix_hashes", body);
        res.EnsureSuccessStatusCode();
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["hashes"]!.AsArray().Select(h => h!.GetValue<string>()).ToArray();
    }

    private static ulong[] Parse(string[] hex) => hex.Select(h => Convert.ToUInt64(h, 16)).ToArray();

    /// <summary>hearth_router_prefix_hit_blocks_total of one upstream, from the router's /metrics.</summary>
    private async Task<long> HitBlocksAsync(string upstream)
    {
        var text = await _http.GetStringAsync(new Uri(_router!.Address, "metrics"));
        var prefix = $"hearth_router_prefix_hit_blocks_total{{upstream=\"{upstream}\"}} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(what + " within 30 s");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        if (_router is not null) await _router.DisposeAsync();
        foreach (var (app, host) in _servers)
        {
            await app.DisposeAsync();
            await host.DisposeAsync();
        }
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
