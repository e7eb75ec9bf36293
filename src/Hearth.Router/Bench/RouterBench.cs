using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Router.Bench;

/// <summary>Measures the router's own overhead: a fixed-answer upstream on loopback, then N non-streaming requests at
/// concurrency C sent directly and through the router (P50/P99 latency), then the request rate through the router at
/// higher concurrencies. No model involved, so the numbers are the proxy's cost alone.</summary>
public static class RouterBench
{
    private static readonly byte[] Answer = Encoding.UTF8.GetBytes(
        "{\"id\":\"b\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":1,\"total_tokens\":11}}");
    private static readonly byte[] Request = Encoding.UTF8.GetBytes("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":1}");

    public static async Task RunAsync(int requests, int concurrency, IReadOnlyList<int> throughputLevels, TextWriter output, CancellationToken ct)
    {
        await using var upstream = await StartUpstreamAsync();
        var config = RouterConfigLoader.Parse($"upstreams:\n  - {{name: a, url: \"{upstream.Url}v1\", models: {{m: m}}}}\nmodels:\n  m: {{}}\n", "bench");
        await using var router = await RouterHost.StartAsync(config);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var direct = new Uri(upstream.Url, "v1/chat/completions");
        var routed = new Uri(router.Address, "v1/chat/completions");

        output.WriteLine($"router bench: {requests} non-streaming chat requests at concurrency {concurrency} ({Environment.ProcessorCount} cores)");
        await LoadAsync(http, direct, Math.Min(200, requests), concurrency, ct); // warm-up: JIT, connection pools
        await LoadAsync(http, routed, Math.Min(200, requests), concurrency, ct);
        var d = await LoadAsync(http, direct, requests, concurrency, ct);
        var r = await LoadAsync(http, routed, requests, concurrency, ct);
        output.WriteLine($"  direct   p50 {Ms(d.P50)} ms  p99 {Ms(d.P99)} ms  ({d.Rps:F0} req/s)");
        output.WriteLine($"  router   p50 {Ms(r.P50)} ms  p99 {Ms(r.P99)} ms  ({r.Rps:F0} req/s)");
        output.WriteLine($"  added    p50 {Ms(r.P50 - d.P50)} ms  p99 {Ms(r.P99 - d.P99)} ms");
        foreach (var c in throughputLevels)
        {
            var t = await LoadAsync(http, routed, Math.Max(requests, c * 50), c, ct);
            output.WriteLine($"  throughput through router at concurrency {c}: {t.Rps:F0} req/s (p50 {Ms(t.P50)} ms, p99 {Ms(t.P99)} ms, errors {t.Errors})");
        }
    }

    private static string Ms(double seconds) => (seconds * 1000).ToString("F3", CultureInfo.InvariantCulture);

    private sealed record LoadResult(double P50, double P99, double Rps, int Errors);

    private static async Task<LoadResult> LoadAsync(HttpClient http, Uri uri, int total, int concurrency, CancellationToken ct)
    {
        var latencies = new double[total];
        var next = -1;
        var errors = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(Request);
                content.Headers.ContentType = new("application/json");
                using var res = await http.PostAsync(uri, content, ct);
                await res.Content.ReadAsByteArrayAsync(ct);
                if (!res.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
        }));
        var elapsed = sw.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new LoadResult(latencies[(int)(0.50 * (total - 1))], latencies[(int)(0.99 * (total - 1))], total / elapsed, errors);
    }

    private sealed class Upstream(WebApplication app, Uri url) : IAsyncDisposable
    {
        public Uri Url { get; } = url;
        public async ValueTask DisposeAsync() { await app.StopAsync(); await app.DisposeAsync(); }
    }

    private static async Task<Upstream> StartUpstreamAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async ctx =>
        {
            // Drain the request, answer a fixed completion.
            var buf = new byte[4096];
            while (await ctx.Request.Body.ReadAsync(buf, ctx.RequestAborted) > 0) { }
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = Answer.Length;
            await ctx.Response.Body.WriteAsync(Answer, ctx.RequestAborted);
        });
        await app.StartAsync();
        var addr = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Upstream(app, new Uri(addr + "/"));
    }
}
