using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>Issue 13's doors, over real HTTP on loopback: key rules (1), browser origin and Host checks (2), request
/// bytes (3), error mapping with real messages and 500s that carry only a request id (4), keep_alive 0 on an unknown
/// model (7), --no-api-pull.</summary>
public sealed class OpenDoorsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Host.Http;

    // ---- 1. keys ----

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void EmptyApiKeyIsAStartUpError(string key)
    {
        var e = Assert.Throws<ArgumentException>(() => TestHost.Start(new ServerOptions { ApiKeys = [key] }));
        Assert.StartsWith("--api-key is empty (an unset shell variable?)", e.Message);
    }

    [Fact]
    public void KeyFileWithoutAKeyIsAStartUpError()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "\n   \n# only a comment\n\n");
        try
        {
            var e = Assert.Throws<ArgumentException>(() => TestHost.Start(new ServerOptions { ApiKeyFile = file }));
            Assert.Equal($"API key file '{file}' has no key (one key per line; blank lines and '#' comments are ignored)", e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void ExposedAddressWithoutKeyNeedsTheExplicitFlag()
    {
        var options = new ServerOptions { Host = "0.0.0.0" };
        var e = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Contains("Add a key with --api-key KEY or --api-key-file FILE", e.Message);
        Assert.Contains("--allow-unauthenticated", e.Message);
        Assert.Empty((options with { AllowUnauthenticated = true }).Validate());
        Assert.Equal("auth: NONE (--allow-unauthenticated) — WARNING: anyone who can reach this address can use it", options.DescribeAuth(0));
        Assert.Equal("auth: API key required (2 keys)", options.DescribeAuth(2));
        Assert.Equal("auth: none (no --api-key)", new ServerOptions().DescribeAuth(0));
    }

    [Fact]
    public async Task KeysFromAFileWithBlankLinesProtectTheServer()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "\n  sk-one  \n\n");
        try
        {
            await using var host = TestHost.Start(new ServerOptions { ApiKeyFile = file });
            Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.GetAsync("v1/models")).StatusCode);
            using var req = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-one");
            Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(req)).StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // ---- 2. browser origins and Host ----

    public static TheoryData<string, string> SimpleRequests => new()
    {
        { "api/pull", """{"model":"http://attacker.example/x.gguf"}""" },
        { "api/copy", """{"source":"fake","destination":"stolen"}""" },
        { "v1/chat/completions", """{"model":"fake","messages":[{"role":"user","content":"hi"}]}""" },
        { "api/generate", """{"model":"fake","prompt":"hi","stream":false}""" },
    };

    [Theory]
    [MemberData(nameof(SimpleRequests))]
    public async Task CrossOriginTextPlainPostIsRefused(string path, string body)
    {
        // What any web page can send without a CORS preflight.
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "text/plain") };
        req.Headers.Add("Origin", "https://attacker.example");
        var resp = await Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        var message = path.StartsWith("api/", StringComparison.Ordinal) ? error.GetValue<string>() : error["message"]!.GetValue<string>();
        Assert.Equal("origin 'https://attacker.example' is not allowed (add it with --allowed-origins)", message);
        Assert.Null(fixture.Host.Catalog.Find("stolen"));
    }

    [Theory]
    [InlineData("http://localhost:3000")]
    [InlineData("http://127.0.0.1")]
    [InlineData("app://obsidian.md")]
    public async Task LocalOriginsAreAllowedWithCorsHeaders(string origin)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        req.Headers.Add("Origin", origin);
        var resp = await Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal(origin, resp.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task TheServersOwnOriginIsAllowed()
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        req.Headers.Add("Origin", "http://" + fixture.Host.BaseAddress.Authority);
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(req)).StatusCode);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:11435")]
    [InlineData("localhost.attacker.example")]
    public async Task ForeignHostIsRefusedOnLoopback(string hostHeader)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "api/tags");
        req.Headers.Host = hostHeader;
        var resp = await Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
        Assert.Equal($$"""{"error":"host '{{hostHeader}}' is not allowed; this server answers localhost names only (add it with --allowed-hosts)"}""",
            await resp.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("localhost:1234")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]:80")]
    public async Task LocalHostNamesAreServed(string hostHeader)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "api/tags");
        req.Headers.Host = hostHeader;
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(req)).StatusCode);
    }

    [Fact]
    public async Task ConfiguredHostsAndOriginsAreAllowed()
    {
        await using var host = TestHost.Start(new ServerOptions { AllowedHosts = ["hearth.internal"], AllowedOrigins = ["https://*.example.com"] });
        using var req = new HttpRequestMessage(HttpMethod.Get, "api/tags");
        req.Headers.Host = "hearth.internal:8080";
        req.Headers.Add("Origin", "https://ui.example.com");
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(req)).StatusCode);
        using var other = new HttpRequestMessage(HttpMethod.Get, "api/tags");
        other.Headers.Add("Origin", "https://example.com.attacker.net");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Http.SendAsync(other)).StatusCode);
    }

    // ---- 3. request bytes ----

    public static TheoryData<byte[], string> BadBodies => new()
    {
        { [.. "{\"model\":\"fake\",\"prompt\":\""u8, 0xC3, 0x28, .. "\"}"u8], "the request body is not valid UTF-8 (bad byte sequence at offset 26)" },
        { "{\"model\":\"fake\",\"prompt\":\"\\ud800\"}"u8.ToArray(), "the request body has a string with an unpaired surrogate escape such as \"\\ud800\" (at byte 25); it is not valid Unicode" },
        { "{\"model\":\"fake\",\"\\udc00x\":1}"u8.ToArray(), "the request body has a string with an unpaired surrogate escape such as \"\\ud800\" (at byte 16); it is not valid Unicode" },
        { "{\"model\":\"fake\",\"model\":\"plain\"}"u8.ToArray(), "duplicate key \"model\" in the request body (at byte 16)" },
        { "model=fake&prompt=hi"u8.ToArray(), "the request body is not valid JSON: 'm' is an invalid start of a value (line 1, byte 1)" },
        { ""u8.ToArray(), "the request body is empty; send a JSON object" },
        { "[1,2]"u8.ToArray(), "the request body must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadBytesAreA400InBothShapes(byte[] body, string message)
    {
        foreach (var path in new[] { "v1/completions", "api/generate" })
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var resp = await Client.PostAsync(path, content);
            var json = JsonNode.Parse(await resp.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
            if (path.StartsWith("api/", StringComparison.Ordinal)) Assert.Equal(message, json!["error"]!.GetValue<string>());
            else Assert.Equal(message, Http.AssertOpenAiError(json, code: "invalid_json")["message"]!.GetValue<string>());
        }
        Assert.DoesNotContain(fixture.Host.Logs, l => l.Contains("   at ", StringComparison.Ordinal));
    }

    // ---- 4. errors: real messages, and a 500 names a request id and nothing else ----

    [Fact]
    public async Task ABugIsA500WithARequestIdAndNoInternals()
    {
        var (status, body, resp) = await Http.PostAsync(Client, "api/copy", """{"source":"bug","destination":"x"}""");
        Assert.Equal(500, status);
        var id = resp.Headers.GetValues("x-request-id").Single();
        Assert.Equal($"internal server error (request id {id}); the server log has the details", body!["error"]!.GetValue<string>());
        Assert.DoesNotContain("secret", body.ToJsonString());
        Assert.Contains(await fixture.Host.LogsOnceAsync(l => l.Contains($"request id={id}", StringComparison.Ordinal)),
            l => l.Contains($"request id={id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeepAliveZeroOnAnUnknownModelIs404()
    {
        var (status, body, _) = await Http.PostAsync(Client, "api/generate", """{"model":"nope","keep_alive":0}""");
        Assert.Equal((404, "model 'nope' not found"), (status, body!["error"]!.GetValue<string>()));
        (status, _, _) = await Http.PostAsync(Client, "api/generate", """{"model":"fake","keep_alive":0}""");
        Assert.Equal(200, status);
    }

    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("\"1e999\"")]
    [InlineData("\"-9999999999999999999h\"")]
    public async Task AHugeKeepAliveMeansForeverNotA500(string keepAlive) // found by the fuzz test
    {
        var (status, _, _) = await Http.PostAsync(Client, "api/generate", $$"""{"model":"fake","prompt":"Hi","stream":false,"keep_alive":{{keepAlive}}}""");
        Assert.Equal(200, status);
        (status, _, _) = await Http.PostAsync(Client, "api/generate", """{"model":"fake","prompt":"Hi","stream":false,"keep_alive":"NaN"}""");
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task NoApiPullRefusesDownloads()
    {
        await using var host = TestHost.Start(new ServerOptions { AllowApiPull = false });
        var (status, body, _) = await Http.PostAsync(host.Http, "api/pull", """{"model":"hf.co/owner/repo"}""");
        Assert.Equal(403, status);
        Assert.Equal("this server does not download models (started with --no-api-pull); pull them with `hearth pull` on the server machine",
            body!["error"]!.GetValue<string>());
    }
}
