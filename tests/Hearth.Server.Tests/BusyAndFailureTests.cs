using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>Engine refusals and failures: 429 with Retry-After, mid-stream errors as events.</summary>
public sealed class BusyAndFailureTests
{
    [Fact]
    public async Task BusyEngine_429_WithRetryAfter()
    {
        await using var host = TestHost.Start(new ServerOptions { BusyRetryAfter = TimeSpan.FromSeconds(3) });
        host.Engine.Busy = true;
        var (status, body, resp) = await Http.PostAsync(host.Http, "v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}");
        Assert.Equal(429, status);
        Assert.Equal("3", resp.Headers.GetValues("Retry-After").Single());
        Http.AssertOpenAiError(body, code: "server_busy");
        Assert.Equal("rate_limit_error", body!["error"]!["type"]!.GetValue<string>());

        var (s2, b2, r2) = await Http.PostAsync(host.Http, "api/chat", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        Assert.Equal(429, s2);
        Assert.Equal("3", r2.Headers.GetValues("Retry-After").Single());
        Assert.Equal("waiting queue is full", b2!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task EngineFailure_NonStream500_StreamErrorEvent()
    {
        await using var host = TestHost.Start();
        host.Engine.FailAfter = 2;
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        Assert.Equal(500, status);
        Assert.StartsWith("generation failed: scripted failure (request id ", Http.AssertOpenAiError(body)["message"]!.GetValue<string>());

        var resp = await host.Http.PostAsync("v1/chat/completions", Http.Json("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}"));
        var text = await resp.Content.ReadAsStringAsync();
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var err = JsonNode.Parse(events[^2]["data: ".Length..])!;
        Assert.Equal("generation failed: scripted failure", err["error"]!["message"]!.GetValue<string>());
        Assert.Equal(2 + 1, events.Length - 2); // role chunk + 2 content chunks before the error

        var ollama = await host.Http.PostAsync("api/generate", Http.Json("{\"model\":\"fake\",\"prompt\":\"Hi\"}"));
        var lines = (await ollama.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("{\"error\":\"generation failed: scripted failure\"}", lines[^1]);
        Assert.Equal(3, lines.Length);
    }
}
