using System.ClientModel;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Tests;
using OpenAI;

namespace Hearth.Server.Tests.Lora;

/// <summary>LoRA adapters over real HTTP on loopback: adapter names in /v1/models (vLLM's parent/root), generation under
/// an adapter name and BASE+ADAPTER, concurrent requests on different adapters and the base in one engine, the
/// load/unload endpoints with vLLM's answers and OpenAI-style errors, the API key, the LRU bound and the metrics.</summary>
public sealed class LoraServingTests
{
    private static string Body(string model, string prompt = "The quick brown fox", int maxTokens = 12) =>
        JsonSerializer.Serialize(new { model, prompt, max_tokens = maxTokens, temperature = 0, ignore_eos = true });

    /// <summary>Posts and returns the status and raw body (the load/unload endpoints answer success in plain text).</summary>
    private static async Task<int> StatusAsync(HttpClient http, string path, string json, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = Http.Json(json) };
        if (key is not null) req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var resp = await http.SendAsync(req);
        return (int)resp.StatusCode;
    }

    private static async Task<string> CompleteAsync(HttpClient http, string model, string prompt = "The quick brown fox")
    {
        var (status, body, _) = await Http.PostAsync(http, "v1/completions", Body(model, prompt));
        Assert.True(status == 200, $"{model}: {status} {body}");
        Assert.Equal(model, body!["model"]!.GetValue<string>());
        return body["choices"]![0]!["text"]!.GetValue<string>();
    }

    [Fact]
    public async Task ModelsListTheAdapterWithItsParentAndRoot()
    {
        await using var s = new LoraServer();
        var list = JsonNode.Parse(await s.Http.GetStringAsync("v1/models"))!["data"]!.AsArray();
        Assert.Contains(list, m => m!["id"]!.GetValue<string>() == "tiny:latest");
        var ada = Assert.Single(list, m => m!["id"]!.GetValue<string>() == "ada")!;
        Assert.Equal("tiny:latest", ada["parent"]!.GetValue<string>());
        Assert.Equal(s.Adapter("ada"), ada["root"]!.GetValue<string>());
        Assert.Equal("model", ada["object"]!.GetValue<string>());
        var one = JsonNode.Parse(await s.Http.GetStringAsync("v1/models/ada"))!;
        Assert.Equal("tiny:latest", one["parent"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheAdapterNameRunsTheAdapterAndTheBaseNameDoesNot()
    {
        await using var s = new LoraServer();
        // The official OpenAI client, by model name.
        var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(s.BaseAddress, "v1") });
        string base1 = await CompleteAsync(s.Http, "tiny:latest");
        string ada = await CompleteAsync(s.Http, "ada");
        Assert.NotEqual(base1, ada);
        Assert.Equal(ada, await CompleteAsync(s.Http, "tiny:latest+ada"));
        Assert.Equal(base1, await CompleteAsync(s.Http, "tiny:latest"));
        var models = (await client.GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Contains(models, m => m.Id == "ada");
        var (status, body, _) = await Http.PostAsync(s.Http, "v1/completions", Body("nope+ada"));
        Assert.Equal(404, status);
        Http.AssertOpenAiError(body, "model", "model_not_found");
    }

    [Fact]
    public async Task ConcurrentRequestsOnTwoAdaptersAndTheBaseEachGetTheirOwnOutput()
    {
        await using var s = new LoraServer();
        Assert.Equal(200, await StatusAsync(s.Http, "v1/load_lora_adapter", JsonSerializer.Serialize(new { lora_name = "b", lora_path = s.Adapter("b") })));
        string[] models = ["ada", "b", "tiny:latest"];
        string[] prompts = ["The quick brown fox", "Once upon a time, in a small village by the river,"];
        var alone = new Dictionary<(string, string), string>();
        foreach (var m in models)
            foreach (var p in prompts)
                alone[(m, p)] = await CompleteAsync(s.Http, m, p);
        Assert.Equal(alone.Count, alone.Values.Distinct().Count());
        // 12 at once: the engine batches them (adapters grouped per step) and each must equal its run alone.
        var together = models.SelectMany(m => prompts.Select(p => (m, p))).SelectMany(x => new[] { x, x })
            .Select(async x => (x, await CompleteAsync(s.Http, x.m, x.p))).ToArray();
        foreach (var (key, text) in await Task.WhenAll(together)) Assert.Equal(alone[key], text);
    }

    [Fact]
    public async Task LoadAndUnloadAtRunTime()
    {
        await using var s = new LoraServer();
        string Load(string name, string path) => JsonSerializer.Serialize(new { lora_name = name, lora_path = path });
        using (var resp = await s.Http.PostAsync("v1/load_lora_adapter", Http.Json(Load("b", s.Adapter("b")))))
        {
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            Assert.Equal("Success: LoRA adapter 'b' added successfully.", await resp.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await s.Http.GetAsync("v1/models/b")).StatusCode);
        string b = await CompleteAsync(s.Http, "b");
        Assert.NotEqual(await CompleteAsync(s.Http, "ada"), b);

        var (status, body, _) = await Http.PostAsync(s.Http, "v1/load_lora_adapter", Load("b", s.Adapter("c")));
        Assert.Equal(400, status);
        Assert.Contains("already been loaded", Http.AssertOpenAiError(body, "lora_name")["message"]!.GetValue<string>());

        using (var resp = await s.Http.PostAsync("v1/unload_lora_adapter", Http.Json("""{"lora_name":"b"}""")))
            Assert.Equal("Success: LoRA adapter 'b' removed successfully.", await resp.Content.ReadAsStringAsync());
        (status, body, _) = await Http.PostAsync(s.Http, "v1/completions", Body("b"));
        Assert.Equal(404, status);
        Http.AssertOpenAiError(body, "model", "model_not_found");
        (status, body, _) = await Http.PostAsync(s.Http, "v1/unload_lora_adapter", """{"lora_name":"b"}""");
        Assert.Equal(404, status);
        Http.AssertOpenAiError(body, "lora_name", "lora_not_found");

        // Reloaded under the same name from another file: the new weights, and no prefix reused from the old ones.
        Assert.Equal(200, await StatusAsync(s.Http, "v1/load_lora_adapter", Load("b", s.Adapter("c"))));
        Assert.Equal(await CompleteAsync(s.Http, "tiny:latest+b"), await CompleteAsync(s.Http, "b"));
        Assert.NotEqual(b, await CompleteAsync(s.Http, "b"));
    }

    [Fact]
    public async Task BadLoadRequestsAreClearErrors()
    {
        await using var s = new LoraServer();
        async Task<JsonObject> Bad(string json, string? param, string? code = null)
        {
            var (status, body, _) = await Http.PostAsync(s.Http, "v1/load_lora_adapter", json);
            Assert.Equal(400, status);
            return Http.AssertOpenAiError(body, param, code);
        }
        await Bad("""{"lora_path":"x.gguf"}""", "lora_name");
        await Bad("""{"lora_name":"x"}""", "lora_path");
        await Bad("{not json", null, "invalid_json");
        var missing = await Bad(JsonSerializer.Serialize(new { lora_name = "x", lora_path = Path.Combine(s.Folder, "missing.gguf") }), null, "invalid_lora_adapter");
        Assert.Contains("does not exist", missing["message"]!.GetValue<string>());
        // A model file is not an adapter; the name is not kept.
        var model = await Bad(JsonSerializer.Serialize(new { lora_name = "x", lora_path = s.BasePath }), null, "invalid_lora_adapter");
        Assert.Contains("adapter.type", model["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await s.Http.GetAsync("v1/models/x")).StatusCode);
        await Bad(JsonSerializer.Serialize(new { lora_name = "tiny:latest", lora_path = s.Adapter("b") }), "lora_name");
    }

    [Fact]
    public async Task TheEndpointsNeedTheApiKey()
    {
        await using var s = new LoraServer(options: new ServerOptions { ApiKeys = ["k"] });
        string json = JsonSerializer.Serialize(new { lora_name = "b", lora_path = s.Adapter("b") });
        Assert.Equal(401, await StatusAsync(s.Http, "v1/load_lora_adapter", json));
        Assert.Equal(401, await StatusAsync(s.Http, "v1/unload_lora_adapter", """{"lora_name":"ada"}"""));
        Assert.Equal(200, await StatusAsync(s.Http, "v1/load_lora_adapter", json, key: "k"));
    }

    [Fact]
    public async Task AtMostMaxLorasStayLoadedAndEvictedOnesReloadOnUse()
    {
        await using var s = new LoraServer(maxLoras: 2);
        foreach (var n in new[] { "b", "c" })
            Assert.Equal(200, await StatusAsync(s.Http, "v1/load_lora_adapter", JsonSerializer.Serialize(new { lora_name = n, lora_path = s.Adapter(n) })));
        var first = new Dictionary<string, string>();
        foreach (var n in new[] { "ada", "b", "c", "ada", "b", "c" })
        {
            string text = await CompleteAsync(s.Http, n);
            Assert.Equal(first.TryAdd(n, text) ? text : first[n], text);
            Assert.True(s.LoadedAdapters <= 2, $"{s.LoadedAdapters} adapters loaded");
        }
        string metrics = await s.Http.GetStringAsync("metrics");
        Assert.Contains("hearth:lora_adapters_loaded{model_name=\"tiny:latest\"} 2", metrics);
        Assert.Contains("hearth:lora_requests_total{model_name=\"tiny:latest\",lora_name=\"ada\"} 2", metrics);
        Assert.Contains("hearth:lora_requests_info{model_name=\"tiny:latest\",max_lora=\"2\",running_lora_adapters=\"\",waiting_lora_adapters=\"\"}", metrics);
    }

    [Fact]
    public async Task LoraMetricNamesAreTheCommittedOnes()
    {
        await using var s = new LoraServer();
        // A long streamed request on the adapter: while it runs, the adapter is a running one.
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = Http.Json(JsonSerializer.Serialize(new { model = "ada", prompt = "Once", max_tokens = 400, temperature = 0, ignore_eos = true, stream = true })),
        };
        using (var resp = await s.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
            for (int i = 0; i < 4; i++) await reader.ReadLineAsync(); // a few deltas in: the engine has run steps with it
            string during = await s.Http.GetStringAsync("metrics");
            Assert.Contains("hearth:lora_requests_running{model_name=\"tiny:latest\",lora_name=\"ada\"} 1", during);
            Assert.Contains("running_lora_adapters=\"ada\"", during);
        }
        await CompleteAsync(s.Http, "ada");
        string text = await s.Http.GetStringAsync("metrics");
        var actual = new SortedSet<string>(MetricSignatures.Of(text, "hearth:lora").Concat(MetricSignatures.Types(text, "hearth:lora").Select(t => "TYPE " + t)), StringComparer.Ordinal);
        Assert.Equal(string.Join("\n", MetricSignatures.Committed("server-lora.txt")), string.Join("\n", actual));
    }

    [Fact]
    public async Task TheRequestsLoraFieldPicksAdaptersAndScalesAsLlamaServerDoes()
    {
        await using var s = new LoraServer();
        var list = JsonNode.Parse(await s.Http.GetStringAsync("lora-adapters"))!.AsArray();
        var first = Assert.Single(list)!;
        Assert.Equal(0, first["id"]!.GetValue<int>());
        Assert.Equal(s.Adapter("ada"), first["path"]!.GetValue<string>());

        async Task<string> With(string model, string lora)
        {
            string json = $$"""{"model":"{{model}}","prompt":"The quick brown fox","max_tokens":12,"temperature":0,"ignore_eos":true,"lora":{{lora}}}""";
            var (status, body, _) = await Http.PostAsync(s.Http, "v1/completions", json);
            Assert.True(status == 200, $"{lora}: {status} {body}");
            return body!["choices"]![0]!["text"]!.GetValue<string>();
        }
        string bare = await CompleteAsync(s.Http, "tiny:latest"), ada = await CompleteAsync(s.Http, "ada");
        Assert.Equal(ada, await With("tiny:latest", """[{"id":0,"scale":1}]"""));
        Assert.Equal(bare, await With("ada", "[]"));                       // the list replaces the name's adapter
        Assert.Equal(bare, await With("tiny:latest", """[{"id":0,"scale":0}]"""));
        string half = await With("tiny:latest", """[{"id":0,"scale":0.5}]""");
        Assert.NotEqual(ada, half);
        Assert.NotEqual(bare, half);

        foreach (var bad in new[] { """[{"id":3}]""", """[{"scale":1}]""", "\"x\"", """[{"id":0,"scale":"big"}]""" })
        {
            var (status, body, _) = await Http.PostAsync(s.Http, "v1/completions", $$"""{"model":"tiny:latest","prompt":"x","lora":{{bad}}}""");
            Assert.Equal(400, status);
            Assert.StartsWith("lora", Http.AssertOpenAiError(body, body!["error"]!["param"]?.GetValue<string>())["param"]!.GetValue<string>());
        }
    }
}
