using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using Hearth.Cli.Commands;
using Hearth.Engine;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using Hearth.Server;
using Hearth.Store.Hosting;
using Hearth.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Hearth.Cli.Tests.Security;

/// <summary>A bounded, seeded fuzz run (issue 13): mutated OpenAI, Ollama and router requests against a live server
/// on the embedded model and a router in front of it, on loopback. Asserts no 5xx, no request past its deadline,
/// /health answering throughout, no error logged by either process, and every KV block back at the end.
/// HEARTH_FUZZ_REQUESTS sets the count (default 2,000; 20,000 for the long run), HEARTH_FUZZ_SEED the seed.</summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MutatedRequestsNeverGetA5xxAndLeaveNothingBehind()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("HEARTH_FUZZ_REQUESTS"), out var n) && n > 0 ? n : 2000;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("HEARTH_FUZZ_SEED"), out var s) ? s : 13;
        var errors = new ConcurrentQueue<string>();
        var settings = new ServeEngineSettings(Threads: 1, new EngineOptions { KvCacheMemoryBytes = 16L << 20, MaxNumSeqs = 16, MaxQueuedRequests = 64 });
        var model = ServeModelLoader.Load("tinystories:latest", TestPaths.EmbeddedModel, null, settings);
        await using var host = new StaticModelHost([model]);
        var server = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false, AllowApiPull = false, MaxRequestBodyBytes = 1 << 20 }, host, null,
            logging => logging.AddProvider(new ErrorSink("server", errors)));
        await server.StartAsync();
        var serverUrl = HearthServer.BoundAddresses(server)[0].TrimEnd('/');
        var config = RouterConfigLoader.Parse($$$"""
            upstreams:
              - {name: hearth, url: "{{{serverUrl}}}/v1", models: {story: "tinystories:latest"}}
            models:
              story: {}
            retries: {max: 1, backoff_ms: 10}
            """);
        await using var router = await RouterHost.StartAsync(config, configureLogging: logging => logging.AddProvider(new ErrorSink("router", errors)));
        var bases = new Dictionary<string, Uri> { ["server"] = new(serverUrl + "/"), ["router"] = router.Address };
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = Timeout.InfiniteTimeSpan };

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var next = -1;
        var clock = Stopwatch.StartNew();
        try
        {
            const int workers = 8;
            await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
            {
                var corpus = new FuzzCorpus(new Random(seed * 1000 + w));
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    var request = corpus.Next();
                    var (status, problem) = await SendAsync(http, bases[request.Target], request);
                    statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                    if (status >= 500 || status < -1)
                        failures.Enqueue($"{status switch { -2 => "deadline passed", -3 => "connection broken", _ => status.ToString() }} {problem}: {request.Describe()}");
                    if (i % 100 == 0)
                        foreach (var (name, url) in bases)
                            if (!(await http.GetAsync(new Uri(url, "health"))).IsSuccessStatusCode) failures.Enqueue($"{name} /health failed after request {i}");
                }
            })));

            // Every sequence ends (finished, stopped or aborted by a disconnect) and gives its KV blocks back.
            var settle = Stopwatch.StartNew();
            EngineStats stats;
            while (((stats = model.Engine.GetStats()).UsedKvBlocks > 0 || stats.RunningRequests > 0 || stats.WaitingRequests > 0) && settle.Elapsed < TimeSpan.FromSeconds(20))
                await Task.Delay(50);
            output.WriteLine($"{count} requests (seed {seed}) in {clock.Elapsed.TotalSeconds:F1} s; statuses: "
                + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{(p.Key == -1 ? "client hung up" : p.Key.ToString())}×{p.Value}")));
            Assert.True(failures.IsEmpty, $"{failures.Count} failures, e.g.:\n" + string.Join("\n", failures.Take(10)));
            Assert.True(errors.IsEmpty, "errors logged:\n" + string.Join("\n", errors.Take(5)));
            Assert.Equal((0, 0, 0), (stats.UsedKvBlocks, stats.RunningRequests, stats.WaitingRequests));
            Assert.True(statuses.Keys.Count(k => k is >= 200 and < 300) > 0 && statuses.Keys.Count(k => k is >= 400 and < 500) > 2, "the corpus should produce successes and several kinds of 4xx");
        }
        finally
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }
    }

    /// <summary>Sends one request and reads the whole answer; returns the status, -1 when the client hung up on
    /// purpose (or the request could not even be formed), -2 when the deadline passed, -3 when the server broke
    /// the connection.</summary>
    private static async Task<(int Status, string? Problem)> SendAsync(HttpClient http, Uri baseUri, FuzzRequest r)
    {
        using var cts = new CancellationTokenSource(r.DisconnectAfter ?? Deadline);
        using var message = new HttpRequestMessage(new HttpMethod(r.Method), new Uri(baseUri, r.Path));
        if (r.Method != "GET")
        {
            message.Content = new ByteArrayContent(r.Body);
            if (r.ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", r.ContentType);
        }
        foreach (var (name, value) in r.Headers) message.Headers.TryAddWithoutValidation(name, value);
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var body = await response.Content.ReadAsStringAsync(cts.Token);
            return ((int)response.StatusCode, body[..Math.Min(body.Length, 200)]);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return (r.DisconnectAfter is null ? -2 : -1, null);
        }
        catch (HttpRequestException e)
        {
            return (-3, e.Message + " " + e.InnerException?.Message); // the connection broke
        }
    }

    /// <summary>Collects every log entry at Error or above (an unhandled exception is one).</summary>
    private sealed class ErrorSink(string process, ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(process + " " + categoryName, sink);
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<string> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) sink.Enqueue($"{category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
