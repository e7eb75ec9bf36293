using System.Net;
using System.Net.Http.Headers;

namespace Hearth.Server.Tests;

/// <summary>API keys (list and file), CORS off by default and on when configured.</summary>
public sealed class SecurityTests
{
    private const string Chat = "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    [Fact]
    public async Task ApiKey_RequiredEverywhereButHealth()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "# keys\n\nfile-key\n");
        try
        {
            await using var host = TestHost.Start(new ServerOptions { ApiKeys = ["k1"], ApiKeyFile = file });
            var (status, body, resp) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat);
            Assert.Equal(401, status);
            Http.AssertOpenAiError(body, code: "missing_api_key");
            Assert.Equal("Bearer", resp.Headers.WwwAuthenticate.Single().Scheme);

            (status, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat, key: "k2");
            Assert.Equal(401, status);
            Http.AssertOpenAiError(body, code: "invalid_api_key");

            (status, _, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat, key: "k1");
            Assert.Equal(200, status);
            (status, _, _) = await Http.PostAsync(host.Http, "api/chat", Chat.Replace("}]}", "}],\"stream\":false}"), key: "file-key");
            Assert.Equal(200, status);

            // Ollama paths answer in Ollama's shape; the probes /health and /ready are open (/ready names no model); /metrics is not.
            var r = await host.Http.GetAsync("api/tags");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("{\"error\":\"Missing API key: send 'Authorization: Bearer YOUR_KEY'.\"}", await r.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("health")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.GetAsync("metrics")).StatusCode);
            using (var ready = await host.Http.GetAsync("ready"))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                Assert.Equal("{\"status\":\"ready\"}", await ready.Content.ReadAsStringAsync());
            }
            using var req = new HttpRequestMessage(HttpMethod.Get, "metrics");
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "k1");
            Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(req)).StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ForeignOrigin_RefusedBeforeAnyWork()
    {
        await using var host = TestHost.Start();
        using var req = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        req.Headers.Add("Origin", "http://example.com");
        var resp = await host.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
        Assert.False(resp.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Cors_AllowsConfiguredOrigin_PreflightNeedsNoKey()
    {
        await using var host = TestHost.Start(new ServerOptions { AllowedOrigins = ["http://ui.local"], ApiKeys = ["k"] });
        using var pre = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        pre.Headers.Add("Origin", "http://ui.local");
        pre.Headers.Add("Access-Control-Request-Method", "POST");
        pre.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        var resp = await host.Http.SendAsync(pre);
        Assert.Equal(HttpStatusCode.NoContent, resp.StatusCode);
        Assert.Equal("http://ui.local", resp.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var other = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        other.Headers.Add("Origin", "http://evil.local");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        var r2 = await host.Http.SendAsync(other);
        Assert.Equal(HttpStatusCode.Forbidden, r2.StatusCode);
        Assert.False(r2.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
