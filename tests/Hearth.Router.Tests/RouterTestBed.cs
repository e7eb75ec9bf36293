using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hearth.Router.Config;
using Hearth.Router.Hosting;

namespace Hearth.Router.Tests;

/// <summary>Fake upstreams plus a router in front of them, torn down together.</summary>
public sealed class RouterTestBed : IAsyncDisposable
{
    private RouterTestBed(List<FakeUpstream> upstreams, RouterHost router)
    {
        Upstreams = upstreams;
        Router = router;
        Client = new HttpClient { BaseAddress = router.Address, Timeout = TimeSpan.FromSeconds(20) };
    }

    public List<FakeUpstream> Upstreams { get; }
    public RouterHost Router { get; }
    public HttpClient Client { get; }
    public FakeUpstream this[string name] => Upstreams.Single(u => u.Name == name);

    /// <summary>Starts the named upstreams, substitutes {name} in <paramref name="yaml"/> with each one's /v1 URL, starts the router.</summary>
    public static async Task<RouterTestBed> StartAsync(string yaml, params string[] upstreamNames)
    {
        var ups = new List<FakeUpstream>();
        foreach (var n in upstreamNames) ups.Add(await FakeUpstream.StartAsync(n));
        foreach (var u in ups) yaml = yaml.Replace("{" + u.Name + "}", u.V1);
        var router = await RouterHost.StartAsync(RouterConfigLoader.Parse(yaml));
        return new RouterTestBed(ups, router);
    }

    public static StringContent ChatBody(string model, string user = "hello", string? system = null, bool stream = false)
    {
        var messages = new JsonArray();
        if (system is not null) messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = user });
        var o = new JsonObject { ["model"] = model, ["messages"] = messages };
        if (stream) o["stream"] = true;
        return new StringContent(o.ToJsonString(), Encoding.UTF8, "application/json");
    }

    public async Task<HttpResponseMessage> ChatAsync(string model, string user = "hello", string? system = null, string? key = null, bool stream = false)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ChatBody(model, user, system, stream) };
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await Client.SendAsync(req);
    }

    public static string? UpstreamOf(HttpResponseMessage res) =>
        res.Headers.TryGetValues("x-hearth-upstream", out var v) ? v.Single() : null;

    public static async Task<JsonObject> JsonOf(HttpResponseMessage res) => (JsonObject)(await res.Content.ReadFromJsonAsync<JsonNode>())!;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Router.DisposeAsync();
        foreach (var u in Upstreams) await u.DisposeAsync();
    }
}
