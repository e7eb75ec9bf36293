using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Hearth.Server.WebUi;

namespace Hearth.Server.Tests.WebUi;

/// <summary>The web UI over real HTTP: the page for browsers at "/", the liveness text for everyone else, the assets
/// with their security headers, gzip and ETags, `--no-ui`, keys on the UI's endpoints, and their 400s.</summary>
public sealed class WebUiHttpTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Host.Http;

    private static HttpRequestMessage Get(string path, string? accept = null, string? encoding = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null) req.Headers.Accept.ParseAdd(accept);
        if (encoding is not null) req.Headers.AcceptEncoding.ParseAdd(encoding);
        return req;
    }

    [Fact]
    public async Task Root_serves_the_page_to_browsers_with_a_strict_csp_and_the_liveness_text_to_other_clients()
    {
        using var page = await Client.SendAsync(Get("/", "text/html,application/xhtml+xml,*/*;q=0.8"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" crossorigin src=\"/ui/app.js\"></script>", html);
        Assert.DoesNotContain("<script>", html); // nothing inline: the CSP forbids it
        Assert.Equal(WebUiMiddleware.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());

        using var curl = await Client.SendAsync(Get("/"));
        Assert.Equal("Hearth is running", await curl.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Assets_are_served_gzipped_with_an_etag_that_revalidates_to_304()
    {
        using var plain = await Client.SendAsync(Get("/ui/app.js"));
        Assert.Equal("text/javascript", plain.Content.Headers.ContentType!.MediaType);
        var js = await plain.Content.ReadAsByteArrayAsync();
        Assert.True(js.Length > 10_000);

        using var zipped = await Client.SendAsync(Get("/ui/app.js", encoding: "gzip"));
        Assert.Equal("gzip", zipped.Content.Headers.ContentEncoding.Single());
        var compressed = await zipped.Content.ReadAsByteArrayAsync();
        Assert.True(compressed.Length < js.Length / 2);
        using var unzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var back = new MemoryStream();
        await unzip.CopyToAsync(back);
        Assert.Equal(js, back.ToArray());

        var etag = plain.Headers.ETag!.Tag;
        using var again = Get("/ui/app.js");
        again.Headers.IfNoneMatch.ParseAdd(etag);
        using var notModified = await Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var css = await Client.SendAsync(Get("/ui/index.css"));
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);
        using var missing = await Client.SendAsync(Get("/ui/nope.js"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Http.AssertOpenAiError(JsonNode.Parse(await missing.Content.ReadAsStringAsync()), code: "not_found");
    }

    [Fact]
    public async Task No_ui_serves_neither_the_page_nor_its_assets_nor_its_endpoints()
    {
        await using var host = TestHost.Start(new ServerOptions { WebUi = false });
        using var root = await host.Http.SendAsync(Get("/", "text/html"));
        Assert.Equal("Hearth is running", await root.Content.ReadAsStringAsync());
        foreach (var path in new[] { "/ui/app.js", "/ui/api/requests" })
        {
            using var r = await host.Http.SendAsync(Get(path));
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }
    }

    [Fact]
    public async Task With_keys_the_page_loads_but_the_ui_endpoints_need_the_key()
    {
        await using var host = TestHost.Start(new ServerOptions { ApiKeys = ["k1"] });
        using var page = await host.Http.SendAsync(Get("/", "text/html"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode); // the page must load to ask for the key
        using var log = await host.Http.SendAsync(Get("/ui/api/requests"));
        Assert.Equal(HttpStatusCode.Unauthorized, log.StatusCode);
        var (status, _, _) = await Http.PostAsync(host.Http, "/ui/api/bench", "{\"model\":\"fake\",\"concurrency\":[1]}");
        Assert.Equal(401, status);
        using var withKey = Get("/ui/api/requests");
        withKey.Headers.Authorization = new("Bearer", "k1");
        using var ok = await host.Http.SendAsync(withKey);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Request_log_lists_the_last_api_requests_newest_first_with_their_tokens()
    {
        await using var host = TestHost.Start();
        var (s1, _, _) = await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"hello\",\"max_tokens\":3}");
        var (s2, _, _) = await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"nope\",\"prompt\":\"hello\"}");
        Assert.Equal((200, 404), (s1, s2));
        using var resp = await host.Http.GetAsync("ui/api/requests?limit=5");
        var list = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["requests"]!.AsArray();
        Assert.Equal(2, list.Count); // polls of the UI itself (this one included) are not logged
        Assert.Equal(404, list[0]!["status"]!.GetValue<int>());
        Assert.Equal("/v1/completions", list[1]!["path"]!.GetValue<string>());
        Assert.Equal("fake:latest", list[1]!["model"]!.GetValue<string>());
        Assert.Equal(3, list[1]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(200, list[1]!["status"]!.GetValue<int>());

        using var bad = await host.Http.GetAsync("ui/api/requests?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Http.AssertOpenAiError(JsonNode.Parse(await bad.Content.ReadAsStringAsync()), "limit");
    }

    [Theory]
    [InlineData("{}", "model")]
    [InlineData("{\"model\":\"fake\"}", "concurrency")]
    [InlineData("{\"model\":\"fake\",\"concurrency\":[0]}", "concurrency")]
    [InlineData("{\"model\":\"fake\",\"concurrency\":[1.5]}", "concurrency")]
    [InlineData("{\"model\":\"fake\",\"concurrency\":[1,2,3,4,5,6,7,8,9]}", "concurrency")]
    [InlineData("{\"model\":\"fake\",\"concurrency\":[1],\"url\":\"ftp://x/\"}", "url")]
    [InlineData("{\"model\":\"fake\",\"concurrency\":[1],\"requests\":100000}", "requests")]
    [InlineData("{\"model\":\"fake\",\"concurrency\":[1],\"endpoint\":\"embeddings\"}", "endpoint")]
    public async Task Bench_refuses_bad_sweeps_with_400(string body, string param)
    {
        var (status, error, _) = await Http.PostAsync(Client, "ui/api/bench", body);
        Assert.Equal(400, status);
        Http.AssertOpenAiError(error, param);
    }

    [Fact]
    public async Task Bench_runs_one_sweep_at_a_time_and_stops_when_the_page_leaves()
    {
        await using var host = TestHost.Start();
        // A server that accepts connections and never answers: the first sweep's warm-up waits on it.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/v1";
        using var first = new HttpRequestMessage(HttpMethod.Post, "ui/api/bench") { Content = Http.Json($"{{\"model\":\"m\",\"concurrency\":[1],\"url\":\"{url}\"}}") };
        using var running = await host.Http.SendAsync(first, HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await running.Content.ReadAsStreamAsync());
        Assert.Equal("{\"event\":\"warmup\"}", await lines.ReadLineAsync());

        var (status, error, _) = await Http.PostAsync(host.Http, "ui/api/bench", "{\"model\":\"fake\",\"concurrency\":[1]}");
        Assert.Equal(409, status);
        Http.AssertOpenAiError(error, code: "bench_running");

        running.Dispose(); // the page leaves: the sweep is cancelled and the slot frees
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode again;
        do
        {
            await Task.Delay(100);
            using var next = new HttpRequestMessage(HttpMethod.Post, "ui/api/bench") { Content = Http.Json("{\"model\":\"fake\",\"concurrency\":[1],\"requests\":1}") };
            using var r = await host.Http.SendAsync(next, HttpCompletionOption.ResponseHeadersRead);
            again = r.StatusCode;
        } while (again == HttpStatusCode.Conflict && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, again);
    }

    [Fact]
    public async Task Create_needs_a_store()
    {
        await using var host = TestHost.Start(withCatalog: false);
        var (status, error, _) = await Http.PostAsync(host.Http, "api/create", "{\"model\":\"x\",\"modelfile\":\"FROM fake\"}");
        Assert.Equal(501, status);
        Assert.Contains("no model store", error!["error"]!.GetValue<string>());
    }
}
