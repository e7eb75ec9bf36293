using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hearth.Router.Config;
using Hearth.Router.Hosting;
using Microsoft.Extensions.Logging;

namespace Hearth.Router.Tests;

/// <summary>Issue 13 in the router, over real HTTP: the master key guards /metrics and the upstream names in /health
/// (item 9), responses carry the router's model name, auth failures are authentication_error, malformed YAML names
/// its line, request bytes are checked (item 3) and browser origins / foreign Host headers are refused (item 2).</summary>
public sealed class RouterDoorsTests
{
    private const string Yaml = """
        master_key: sk-master
        upstreams:
          - {name: secret-upstream, url: "{a}", models: {alias: upstream-model-id}}
        models:
          alias: {}
        """;

    private static HttpRequestMessage Get(string path, string? key = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return req;
    }

    [Fact]
    public async Task MasterKeyGuardsMetricsAndTheUpstreamsInHealth()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        using (var r = await bed.Client.SendAsync(Get("metrics")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            var error = (await RouterTestBed.JsonOf(r))["error"]!;
            Assert.Equal(("authentication_error", "/metrics needs the master key"), (error["type"]!.GetValue<string>(), error["message"]!.GetValue<string>()));
        }
        using (var r = await bed.Client.SendAsync(Get("metrics", "sk-master"))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        using (var r = await bed.Client.SendAsync(Get("health")))
            Assert.Equal("""{"status":"ok"}""", await r.Content.ReadAsStringAsync()); // up or not, but no names
        using (var r = await bed.Client.SendAsync(Get("health", "sk-master")))
            Assert.Contains("secret-upstream", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AuthFailuresAreAuthenticationErrors()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        foreach (var key in new string?[] { null, "sk-wrong" })
        {
            using var r = await bed.ChatAsync("alias", key: key);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("authentication_error", (await RouterTestBed.JsonOf(r))["error"]!["type"]!.GetValue<string>());
        }
        using var admin = await bed.Client.SendAsync(Get("admin/keys", "sk-wrong"));
        Assert.Equal("authentication_error", (await RouterTestBed.JsonOf(admin))["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task ResponsesCarryTheModelNameTheClientAskedFor()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        using (var r = await bed.ChatAsync("alias", key: "sk-master"))
        {
            Assert.Null(r.Content.Headers.ContentLength is { } n && n != (await r.Content.ReadAsByteArrayAsync()).Length ? "wrong length" : null);
            Assert.Equal("alias", (await RouterTestBed.JsonOf(r))["model"]!.GetValue<string>());
        }
        using var s = await bed.ChatAsync("alias", key: "sk-master", stream: true);
        var events = (await s.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var data = events.Where(e => e.StartsWith("data: {", StringComparison.Ordinal)).Select(e => JsonNode.Parse(e[6..])!).ToList();
        Assert.NotEmpty(data);
        Assert.All(data, d => Assert.Equal("alias", d["model"]!.GetValue<string>()));
        Assert.DoesNotContain("upstream-model-id", string.Join("", events));
    }

    [Fact]
    public void EveryTruncationOfAConfigIsAnErrorWithALine()
    {
        const string config = """
            master_key: "sk-master"
            upstreams:
              - {name: a, url: 'http://127.0.0.1:9/v1', models: {m: "m-up"}}
              - name: b
                url: http://127.0.0.1:10/v1
                models: {m: [x, {y: z}]}
            models:
              m: {policy: prefix-affinity, fallback: []}
            """;
        for (var cut = 1; cut < config.Length; cut++)
        {
            try { RouterConfigLoader.Parse(config[..cut], "r.yaml"); }
            catch (RouterConfigException e)
            {
                Assert.Matches(@"^r\.yaml:\d+:\d+: ", e.Message);
                Assert.DoesNotContain("current state of the object", e.Message);
            }
        }
    }

    public static TheoryData<byte[], string> BadBodies => new()
    {
        { [.. "{\"model\":\"alias\",\"x\":\""u8, 0xFF, .. "\"}"u8], "the request body is not valid UTF-8 (bad byte sequence at offset 22)" },
        { "{\"model\":\"alias\",\"x\":\"\\ud800\"}"u8.ToArray(), "the request body has a string with an unpaired surrogate escape such as \"\\ud800\" (at byte 21); it is not valid Unicode" },
        { "{\"model\":\"alias\",\"model\":\"other\"}"u8.ToArray(), "duplicate key \"model\" in the request body (at byte 17)" },
        { "{\"model\":\"alias\",}"u8.ToArray(), "the request body is not valid JSON: " },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadBytesAreA400WithAReason(byte[] body, string message) // message: the whole text, or its start for .NET's JSON syntax errors
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
        using var r = await bed.Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.StartsWith(message, (await RouterTestBed.JsonOf(r))["error"]!["message"]!.GetValue<string>());
        Assert.Equal(0, bed["a"].Requests);
    }

    /// <summary>A client that announces more body than it sends and then stops sending is the client's fault: Kestrel's
    /// "unexpected end of request content" is answered as a 4xx (the connection is gone by then), never logged as a router
    /// error with a 500 (the fuzz test once saw exactly that).</summary>
    [Fact]
    public async Task ABodyCutShortIsNotARouterError()
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = await FakeUpstream.StartAsync("a");
        await using var router = await RouterHost.StartAsync(RouterConfigLoader.Parse(Yaml.Replace("{a}", upstream.V1)),
            configureLogging: b => b.AddProvider(new ErrorLog(errors)));
        for (int attempt = 0; attempt < 5; attempt++)
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(router.Address.Host, router.Address.Port);
            var stream = tcp.GetStream();
            var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: {router.Address.Authority}\r\nAuthorization: Bearer sk-master\r\n" +
                       "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":\"alias\"";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            try { await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20)); }
            catch (IOException) { } // Kestrel resets a connection whose body ended early: there is nothing to read
        }
        // The guard runs after the connection is gone; give it a bounded moment before looking at the log.
        using var health = new HttpClient { BaseAddress = router.Address };
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("health")).StatusCode);
        Assert.True(errors.IsEmpty, string.Join("\n", errors));
        Assert.Equal(0, upstream.Requests);
    }

    /// <summary>Collects the router's log entries at Error or above.</summary>
    private sealed class ErrorLog(System.Collections.Concurrent.ConcurrentQueue<string> sink) : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Error;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) sink.Enqueue(formatter(state, exception) + " " + exception);
        }
    }

    [Fact]
    public async Task ForeignOriginsAndHostsAreRefused()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml.Replace("upstreams:", "allowed_origins: [https://ui.example.com]\nupstreams:"), "a");
        using (var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent("""{"model":"alias"}""", Encoding.UTF8, "text/plain") })
        {
            req.Headers.Add("Origin", "https://attacker.example");
            using var r = await bed.Client.SendAsync(req);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Equal("origin 'https://attacker.example' is not allowed (add it with --allowed-origins)", (await RouterTestBed.JsonOf(r))["error"]!["message"]!.GetValue<string>());
        }
        using (var req = Get("v1/models", "sk-master"))
        {
            req.Headers.Host = "rebind.attacker.example";
            using var r = await bed.Client.SendAsync(req);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }
        using (var req = Get("v1/models", "sk-master"))
        {
            req.Headers.Add("Origin", "https://ui.example.com");
            using var r = await bed.Client.SendAsync(req);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("https://ui.example.com", r.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }
        Assert.Equal(0, bed["a"].Requests);
    }
}
