using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hearth.Cli.Tests.EndToEnd;

namespace Hearth.Cli.Tests.Fleet;

/// <summary>What a serve tells routers about its prefix cache, over real HTTP on the embedded model: the block hashes
/// a prompt would look up (/v1/prefix_hashes) are exactly what its run stores (/v1/kv_events).</summary>
public class KvEventsEndpointTests(EmbeddedModelServer server) : IClassFixture<EmbeddedModelServer>
{
    private const string Story = "Once upon a time there was a little girl named Lily. She loved to play outside in the park with her " +
        "big red ball. One day she saw a small dog under a tree. The dog was sad because it had lost its way home. Lily " +
        "said she would help, and together they walked down the long road past the river and the old mill.";

    private HttpClient Http() => new() { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    private sealed class EventReader(StreamReader reader)
    {
        public async Task<(string Name, JsonObject Data)> NextAsync(CancellationToken ct)
        {
            string? name = null, data = null;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                else if (line.Length == 0 && name is not null && data is not null) return (name, JsonNode.Parse(data)!.AsObject());
            }
            throw new EndOfStreamException("the event stream ended");
        }
    }

    private static HashSet<string> Strings(JsonNode? array) => array!.AsArray().Select(h => h!.GetValue<string>()).ToHashSet();

    [Fact]
    public async Task ARunStoresExactlyTheBlockHashesItsPromptLooksUp()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var http = Http();
        using var stream = await http.GetAsync($"v1/kv_events?model={EmbeddedModelServer.ModelName}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        var events = new EventReader(new StreamReader(await stream.Content.ReadAsStreamAsync(cts.Token)));
        var (first, snapshot) = await events.NextAsync(cts.Token);
        Assert.Equal("snapshot", first);
        Assert.Equal(16, snapshot["block_size"]!.GetValue<int>());
        var cache = Strings(snapshot["hashes"]);

        var prompt = Story + " " + Guid.NewGuid().ToString("N"); // the story's blocks may be cached by another test; the tail is new
        var hashes = await (await http.PostAsJsonAsync("v1/prefix_hashes", new { model = EmbeddedModelServer.ModelName, prompt }, cts.Token))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>(cts.Token);
        var expected = Strings(hashes!["hashes"]);
        var promptTokens = hashes["prompt_tokens"]!.GetValue<int>();
        Assert.Equal((promptTokens - 1) / 16, expected.Count);
        Assert.True(expected.Count >= 3, $"the prompt should span several blocks, got {promptTokens} tokens");

        (await http.PostAsJsonAsync("v1/completions", new { model = EmbeddedModelServer.ModelName, prompt, max_tokens = 1 }, cts.Token)).EnsureSuccessStatusCode();
        while (!expected.IsSubsetOf(cache))
        {
            var (name, data) = await events.NextAsync(cts.Token);
            if (name == "update")
            {
                cache.ExceptWith(Strings(data["removed"]));
                cache.UnionWith(Strings(data["stored"]));
            }
            else Assert.Equal("load", name);
        }
        // The same prompt as a one-message chat hashes the same (no template: the content is the prompt).
        var chat = await (await http.PostAsJsonAsync("v1/prefix_hashes", new { model = EmbeddedModelServer.ModelName, messages = new[] { new { role = "user", content = prompt } } }, cts.Token))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>(cts.Token);
        Assert.Equal(expected, Strings(chat!["hashes"]));
    }

    [Fact]
    public async Task LoadEventsReportTheEngine()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = Http();
        using var stream = await http.GetAsync("v1/kv_events", HttpCompletionOption.ResponseHeadersRead, cts.Token); // the default model
        var events = new EventReader(new StreamReader(await stream.Content.ReadAsStreamAsync(cts.Token)));
        Assert.Equal("snapshot", (await events.NextAsync(cts.Token)).Name);
        var (name, load) = await events.NextAsync(cts.Token);
        Assert.Equal("load", name);
        Assert.True(load["loaded"]!.GetValue<bool>());
        Assert.InRange(load["kv_usage"]!.GetValue<double>(), 0, 1);
        Assert.True(load["running"]!.GetValue<int>() >= 0 && load["waiting"]!.GetValue<int>() >= 0);
    }

    [Theory]
    [InlineData("{\"model\":\"tinystories\"}", 400)]
    [InlineData("{\"model\":\"tinystories\",\"prompt\":[\"a\",\"b\"]}", 400)]
    [InlineData("{\"model\":\"tinystories\",\"messages\":[]}", 400)]
    [InlineData("{\"model\":\"no-such-model\",\"prompt\":\"hi\"}", 404)]
    [InlineData("[1,2]", 400)]
    public async Task BadPrefixHashRequestsGetClearErrors(string body, int status)
    {
        using var http = Http();
        var response = await http.PostAsync("v1/prefix_hashes", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.False(string.IsNullOrEmpty(error!["error"]!["message"]!.GetValue<string>()));
    }
}
