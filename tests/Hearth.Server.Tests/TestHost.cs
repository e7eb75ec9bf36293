using System.Collections.Concurrent;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Server.Tests.Fakes;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Hearth.Server.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, serving fake models:
/// "fake:latest" (with a chat template, the default) and "plain:latest" (no template).</summary>
public sealed class TestHost : IAsyncDisposable
{
    public const int ContextLength = 128;
    public WebApplication App { get; }
    public FakeEngine Engine { get; } = new();
    public FakeEngine PlainEngine { get; } = new();
    public FakeChatTemplate Template { get; } = new();
    public FakeCatalog Catalog { get; } = new("fake", "plain");
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>The log lines, once one matching each predicate is there (or after 10 s, as they are): the request log
    /// is written after the response has gone out, so a client can see the answer before the line exists.</summary>
    public async Task<List<string>> LogsOnceAsync(params Func<string, bool>[] expected)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var lines = Logs.ToList();
            if (expected.All(e => lines.Any(e)) || waited.Elapsed > TimeSpan.FromSeconds(10)) return lines;
            await Task.Delay(20);
        }
    }

    private TestHost(ServerOptions? options, bool withCatalog, Hearth.Core.Templates.IChatTemplate? template)
    {
        var shape = new ModelShape("llama", 259, ContextLength, 2, 1, 8, 16);
        var tok = new FakeTokenizer();
        var fake = new LoadedModel("fake:latest", tok, template ?? Template, Engine, shape);
        var plain = new LoadedModel("plain:latest", tok, null, PlainEngine, shape);
        var host = new StaticModelHost([fake, plain], new Dictionary<string, long> { ["fake:latest"] = 1234 });
        App = HearthServer.Build((options ?? new ServerOptions()) with { Port = 0, Host = "127.0.0.1" }, host,
            withCatalog ? Catalog : null, logging => logging.AddProvider(new ListLoggerProvider(Logs)));
        App.StartAsync().GetAwaiter().GetResult();
        BaseAddress = new Uri(HearthServer.BoundAddresses(App).Single() + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public static TestHost Start(ServerOptions? options = null, bool withCatalog = true) => new(options, withCatalog, null);

    /// <summary>A host whose "fake" model has <paramref name="template"/> (a real chat template) instead of the fake one.</summary>
    public static TestHost WithTemplate(Hearth.Core.Templates.IChatTemplate template) => new(null, true, template);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>The one request-log line containing <paramref name="text"/>: the line is written when the request's
    /// middleware unwinds, which can be just after the client has read the response, so this waits up to 10 s.</summary>
    public async Task<string> LogLineAsync(string text)
    {
        for (var i = 0; i < 200 && !Logs.Any(l => l.Contains(text, StringComparison.Ordinal)); i++) await Task.Delay(50);
        return Assert.Single(Logs, l => l.StartsWith("request ", StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Collects log lines (the request log is asserted on).</summary>
    private sealed class ListLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(sink, categoryName);
        public void Dispose() { }
    }

    private sealed class ListLogger(ConcurrentQueue<string> sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && !category.StartsWith("Microsoft", StringComparison.Ordinal);
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) sink.Enqueue(formatter(state, exception));
        }
    }
}

/// <summary>One server shared by the tests of a class (fast); tests that need special options start their own.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;
    public Task InitializeAsync() { Host = TestHost.Start(); return Task.CompletedTask; }
    public async Task DisposeAsync() => await Host.DisposeAsync();
}
