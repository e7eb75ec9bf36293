using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Hearth.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Router.Tests;

/// <summary>A Kubernetes API server on 127.0.0.1 that answers the EndpointSlice list with the recorded list in
/// tests/fixtures/k8s and streams watch events the test releases one at a time (a null line ends the watch
/// response, as the API server does when a watch times out). Records every request's query.</summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeKubernetesApi(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }
    public ConcurrentQueue<string> Queries { get; } = new();
    public Channel<string?> Events { get; } = Channel.CreateUnbounded<string?>();
    public int Lists;

    /// <summary>When set, the next watch request is answered 410 Gone (its resourceVersion has expired).</summary>
    public volatile bool ExpireNextWatch;

    public static async Task<FakeKubernetesApi> StartAsync(int portA, int portB)
    {
        string Fixture(string name) => File.ReadAllText(Path.Combine(TestPaths.Fixtures, "k8s", name))
            .Replace("{PORT_A}", portA.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("{PORT_B}", portB.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var list = Fixture("endpointslices-list.json");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeKubernetesApi? self = null;
        app.MapGet("/apis/discovery.k8s.io/v1/namespaces/hearth/endpointslices", async ctx =>
        {
            self!.Queries.Enqueue(ctx.Request.QueryString.Value ?? "");
            if (ctx.Request.Query["labelSelector"] != "kubernetes.io/service-name=hearth-serve")
            {
                ctx.Response.StatusCode = 400;
                return;
            }
            ctx.Response.ContentType = "application/json";
            if (ctx.Request.Query["watch"] != "true")
            {
                Interlocked.Increment(ref self.Lists);
                await ctx.Response.WriteAsync(list);
                return;
            }
            if (self.ExpireNextWatch)
            {
                self.ExpireNextWatch = false;
                ctx.Response.StatusCode = 410;
                await ctx.Response.WriteAsync("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1000 (1004)","reason":"Expired","code":410}""");
                return;
            }
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            try
            {
                while (await self.Events.Reader.ReadAsync(ctx.RequestAborted) is { } line)
                {
                    await ctx.Response.WriteAsync(line + "\n", ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
        });
        await app.StartAsync();
        var addr = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeKubernetesApi(app, new Uri(addr + "/"));
        return self;
    }

    /// <summary>The recorded watch events, in order, with the test's ports filled in.</summary>
    public static List<string> RecordedEvents(int portA, int portB) =>
        File.ReadAllLines(Path.Combine(TestPaths.Fixtures, "k8s", "endpointslices-watch.jsonl"))
            .Select(l => l.Replace("{PORT_A}", portA.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Replace("{PORT_B}", portB.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();

    public async ValueTask DisposeAsync()
    {
        Events.Writer.TryComplete();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
