using System.Net;
using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>Ollama model management and request conventions over raw HTTP.</summary>
public sealed class OllamaApiTests
{
    [Fact]
    public async Task Pull_StreamsProgress_ThenModelIsListed()
    {
        await using var host = TestHost.Start();
        var resp = await host.Http.PostAsync("api/pull", Http.Json("{\"model\":\"newone\"}"));
        var lines = (await resp.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        var b = new string('b', 64);
        Assert.Equal([
            "{\"status\":\"pulling manifest\"}",
            $"{{\"status\":\"pulling {b[..12]}\",\"digest\":\"sha256:{b}\",\"total\":1000,\"completed\":0}}",
            $"{{\"status\":\"pulling {b[..12]}\",\"digest\":\"sha256:{b}\",\"total\":1000,\"completed\":1000}}",
            "{\"status\":\"verifying sha256 digest\"}",
            "{\"status\":\"writing manifest\"}",
            "{\"status\":\"success\"}"], lines);
        Assert.Contains("newone:latest", await host.Http.GetStringAsync("api/tags"));

        var failed = await host.Http.PostAsync("api/pull", Http.Json("{\"model\":\"missing\"}"));
        Assert.Equal(["{\"status\":\"pulling manifest\"}", "{\"error\":\"model 'missing' not found\"}"],
            (await failed.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n'));

        var once = await host.Http.PostAsync("api/pull", Http.Json("{\"name\":\"other\",\"stream\":false}"));
        Assert.Equal("{\"status\":\"success\"}", await once.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CopyShowDelete()
    {
        await using var host = TestHost.Start();
        Assert.Equal(HttpStatusCode.OK, (await host.Http.PostAsync("api/copy", Http.Json("{\"source\":\"fake\",\"destination\":\"mine:v1\"}"))).StatusCode);
        var (status, show, _) = await Http.PostAsync(host.Http, "api/show", "{\"model\":\"mine:v1\"}");
        Assert.Equal(200, status);
        Assert.Equal("llama", show!["details"]!["family"]!.GetValue<string>());
        Assert.Equal(128, show["model_info"]!["llama.context_length"]!.GetValue<int>());
        Assert.Equal("Be brief.", show["system"]!.GetValue<string>());
        Assert.Contains("PARAMETER stop <|end|>\nPARAMETER stop <|user|>\n", show["modelfile"]!.GetValue<string>());

        using var del = new HttpRequestMessage(HttpMethod.Delete, "api/delete") { Content = Http.Json("{\"model\":\"mine:v1\"}") };
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(del)).StatusCode);
        using var again = new HttpRequestMessage(HttpMethod.Delete, "api/delete") { Content = Http.Json("{\"model\":\"mine:v1\"}") };
        var r = await host.Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("{\"error\":\"model 'mine:v1' not found\"}", await r.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.PostAsync("api/copy", Http.Json("{\"source\":\"nope\",\"destination\":\"x\"}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync(host.Http, "api/show", "{\"model\":\"nope\"}")).Response.StatusCode);
    }

    [Fact]
    public async Task Ps_And_Version()
    {
        await using var host = TestHost.Start();
        var ps = JsonNode.Parse(await host.Http.GetStringAsync("api/ps"))!["models"]!.AsArray();
        Assert.Equal(["fake:latest", "plain:latest"], ps.Select(m => m!["name"]!.GetValue<string>()).ToArray());
        Assert.Equal(1234, ps[0]!["size"]!.GetValue<long>());
        Assert.Equal(new string('a', 64), ps[0]!["digest"]!.GetValue<string>());
        Assert.Matches("^\\d+\\.\\d+\\.\\d+$", JsonNode.Parse(await host.Http.GetStringAsync("api/version"))!["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task WithoutStore_TagsListLoadedModels_PullRefused()
    {
        await using var host = TestHost.Start(withCatalog: false);
        var tags = JsonNode.Parse(await host.Http.GetStringAsync("api/tags"))!["models"]!.AsArray();
        Assert.Equal(["fake:latest", "plain:latest"], tags.Select(m => m!["name"]!.GetValue<string>()).ToArray());
        var (status, body, _) = await Http.PostAsync(host.Http, "api/pull", "{\"model\":\"x\",\"stream\":false}");
        Assert.Equal(400, status);
        Assert.Contains("no model store", body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task EmptyRequests_LoadAndUnload()
    {
        await using var host = TestHost.Start();
        var (_, load, _) = await Http.PostAsync(host.Http, "api/generate", "{\"model\":\"fake\"}");
        Assert.Equal(["model", "created_at", "response", "done", "done_reason"], load!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal("load", load["done_reason"]!.GetValue<string>());
        var (_, unload, _) = await Http.PostAsync(host.Http, "api/chat", "{\"model\":\"fake\",\"messages\":[],\"keep_alive\":0}");
        Assert.Equal("unload", unload!["done_reason"]!.GetValue<string>());
        Assert.Empty(host.Engine.Requests);
    }

    [Fact]
    public async Task Options_MapToSamplingParams_OverModelfileDefaults()
    {
        await using var host = TestHost.Start();
        var (status, _, _) = await Http.PostAsync(host.Http, "api/generate",
            "{\"model\":\"plain\",\"prompt\":\"Hi\",\"stream\":false,\"format\":\"json\",\"keep_alive\":\"1h30m\",\"options\":{\"temperature\":0.2,\"top_k\":7,\"top_p\":0.8,\"min_p\":0.05,\"seed\":42,\"num_predict\":3,\"stop\":[\"x\"],\"repeat_penalty\":1.3,\"presence_penalty\":0.1,\"frequency_penalty\":0.2,\"num_ctx\":4096,\"mirostat\":0}}");
        Assert.Equal(200, status);
        var s = host.PlainEngine.LastRequest.Sampling;
        Assert.Equal((0.2f, 7, 0.8f, 0.05f, 42UL, 3, 1.3f, 0.1f, 0.2f), (s.Temperature, s.TopK, s.TopP, s.MinP, s.Seed!.Value, s.MaxTokens, s.RepetitionPenalty, s.PresencePenalty, s.FrequencyPenalty));
        Assert.Equal(["x"], s.Stop);

        // Nothing set: Ollama's defaults; num_predict -1: until the context is full.
        await Http.PostAsync(host.Http, "api/generate", "{\"model\":\"plain\",\"prompt\":\"Hi\",\"stream\":false,\"options\":{\"num_predict\":-1}}");
        s = host.PlainEngine.LastRequest.Sampling;
        Assert.Equal((0.8f, 40, 0.9f, 1.1f, TestHost.ContextLength - 3), (s.Temperature, s.TopK, s.TopP, s.RepetitionPenalty, s.MaxTokens));
        Assert.Null(s.Seed);
    }

    [Fact]
    public async Task Context_ContinuesAConversation()
    {
        await using var host = TestHost.Start();
        var (_, first, _) = await Http.PostAsync(host.Http, "api/generate", "{\"model\":\"plain\",\"prompt\":\"Hi\",\"stream\":false,\"options\":{\"num_predict\":1}}");
        var context = first!["context"]!.AsArray();
        Assert.Equal(4, context.Count); // BOS, 'H', 'i', one generated token
        await Http.PostAsync(host.Http, "api/generate", $"{{\"model\":\"plain\",\"prompt\":\"!\",\"stream\":false,\"context\":{context.ToJsonString()}}}");
        Assert.Equal([1, 'H' + 3, 'i' + 3, 100, '!' + 3], host.PlainEngine.LastRequest.PromptTokens);
    }
}
