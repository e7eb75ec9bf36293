using System.Net;
using Hearth.Router.Config;
using Hearth.Router.Hosting;

namespace Hearth.Router.Tests;

/// <summary>Replica discovery through the Kubernetes API's list-then-watch protocol, against recorded responses:
/// ready endpoints become upstreams, not-ready and deleted ones leave, a watch that ends resumes from the last
/// resourceVersion, and an expired one (410) lists again.</summary>
public sealed class DiscoveryTests
{
    private static async Task WaitForUpstreams(RouterHost router, params string[] names)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!router.State.Upstreams.Select(u => u.Name).SequenceEqual(names))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"upstreams are [{string.Join(", ", router.State.Upstreams.Select(u => u.Name))}], expected [{string.Join(", ", names)}]");
            await Task.Delay(20);
        }
    }

    private static async Task<List<string?>> Served(HttpClient client, int n)
    {
        var served = new List<string?>();
        for (var i = 0; i < n; i++)
        {
            using var res = await client.PostAsync("v1/chat/completions", RouterTestBed.ChatBody("m"));
            served.Add(res.StatusCode == HttpStatusCode.OK ? RouterTestBed.UpstreamOf(res) : $"status {(int)res.StatusCode}");
        }
        return served;
    }

    [Fact]
    public async Task ReadyEndpointsOfTheServiceBecomeUpstreamsAndFollowTheWatch()
    {
        await using var a = await FakeUpstream.StartAsync("a");
        await using var b = await FakeUpstream.StartAsync("b");
        await using var api = await FakeKubernetesApi.StartAsync(a.Address.Port, b.Address.Port);
        var events = FakeKubernetesApi.RecordedEvents(a.Address.Port, b.Address.Port);
        var config = RouterConfigLoader.Parse($$"""
            discovery:
              kubernetes: {service: hearth-serve, namespace: hearth, port: http, api_server: "{{api.Address}}"}
              models: {m: m-up}
            models:
              m: {}
            """);
        await using var router = await RouterHost.StartAsync(config);
        using var client = new HttpClient { BaseAddress = router.Address, Timeout = TimeSpan.FromSeconds(20) };

        // The list: hearth-serve-0 is ready; hearth-serve-9 is not, so it is left out.
        await WaitForUpstreams(router, "hearth-serve-0");
        Assert.Equal(["hearth-serve-0", "hearth-serve-0"], await Served(client, 2));
        Assert.Equal($"http://127.0.0.1:{a.Address.Port}/v1/", router.State.Upstreams[0].Config.Url.AbsoluteUri);

        // ADDED: a second replica joins; requests spread over both.
        await api.Events.Writer.WriteAsync(events[0]);
        await WaitForUpstreams(router, "hearth-serve-0", "hearth-serve-1");
        var both = await Served(client, 6);
        Assert.Contains("hearth-serve-0", both);
        Assert.Contains("hearth-serve-1", both);
        Assert.True(b.Requests > 0);

        // BOOKMARK, then the API ends the watch: the router watches again from the bookmark's resourceVersion.
        await api.Events.Writer.WriteAsync(events[1]);
        await api.Events.Writer.WriteAsync(null);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!api.Queries.Any(q => q.Contains("watch=true") && q.Contains("resourceVersion=1002")))
        {
            Assert.True(DateTime.UtcNow < deadline, "no watch resumed at resourceVersion 1002: " + string.Join(" ; ", api.Queries));
            await Task.Delay(20);
        }
        Assert.Contains(api.Queries, q => q.Contains("watch=true") && q.Contains("resourceVersion=1000"));

        // MODIFIED: hearth-serve-0 is terminating (not ready), so only hearth-serve-1 is routed to.
        await api.Events.Writer.WriteAsync(events[2]);
        await WaitForUpstreams(router, "hearth-serve-1");
        Assert.Equal(["hearth-serve-1", "hearth-serve-1", "hearth-serve-1"], await Served(client, 3));

        // DELETED: no replica left; the router answers 503 instead of guessing.
        await api.Events.Writer.WriteAsync(events[3]);
        await WaitForUpstreams(router);
        Assert.Equal(["status 503"], await Served(client, 1));

        // The watch ends and its resourceVersion has expired (410 Gone): the router lists afresh.
        api.ExpireNextWatch = true;
        await api.Events.Writer.WriteAsync(null);
        await WaitForUpstreams(router, "hearth-serve-0");
        Assert.Equal(2, Volatile.Read(ref api.Lists));
        Assert.Equal(["hearth-serve-0"], await Served(client, 1));
    }
}
