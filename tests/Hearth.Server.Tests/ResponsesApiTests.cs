using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>POST /v1/responses, GET and DELETE /v1/responses/{id} over raw HTTP: the exact response object and event
/// sequence, store and previous_response_id (per key, bounded), and every error. The fake model answers "Once",
/// " upon", " a", " time", "." and then ends.</summary>
public sealed class ResponsesApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestHost Host => fixture.Host;
    private static readonly int HiPromptTokens = 1 + "<|user|>\nHi\n<|assistant|>\n".Length;

    private static async Task<(int Status, JsonNode? Body)> SendAsync(HttpClient c, HttpMethod method, string path, string? json = null, string? key = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (json is not null) req.Content = Http.Json(json);
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var resp = await c.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static string ResponseJson(string id, long created, string status, string incomplete, string text, int outputTokens, string store = "true", string previous = "null") =>
        $"{{\"object\":\"response\",\"id\":\"{id}\",\"created_at\":{created},\"status\":\"{status}\",\"error\":null,\"incomplete_details\":{incomplete},\"instructions\":null," +
        $"\"max_output_tokens\":{(status == "incomplete" ? outputTokens.ToString() : "null")},\"model\":\"fake:latest\"," +
        $"\"output\":[{{\"type\":\"message\",\"id\":\"msg_{id[5..]}\",\"status\":\"{status}\",\"content\":[{{\"type\":\"output_text\",\"text\":\"{text}\",\"annotations\":[]}}],\"role\":\"assistant\"}}]," +
        $"\"previous_response_id\":{previous},\"store\":{store},\"temperature\":1,\"top_p\":1,\"text\":{{\"format\":{{\"type\":\"text\"}}}}," +
        $"\"usage\":{{\"input_tokens\":{HiPromptTokens},\"input_tokens_details\":{{\"cached_tokens\":0}},\"output_tokens\":{outputTokens},\"output_tokens_details\":{{\"reasoning_tokens\":0}},\"total_tokens\":{HiPromptTokens + outputTokens}}}," +
        "\"metadata\":{},\"parallel_tool_calls\":true,\"tool_choice\":\"auto\",\"tools\":[],\"truncation\":\"disabled\"}";

    [Fact]
    public async Task Create_ExactShape_Completed_And_Incomplete()
    {
        var (status, body) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"input\":\"Hi\"}");
        Assert.Equal(200, status);
        var id = body!["id"]!.GetValue<string>();
        Assert.Matches("^resp_[0-9a-f]{24}$", id);
        Assert.Equal(ResponseJson(id, body["created_at"]!.GetValue<long>(), "completed", "null", "Once upon a time.", 5), body.ToJsonString());

        (_, body) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"input\":\"Hi\",\"max_output_tokens\":2}");
        id = body!["id"]!.GetValue<string>();
        Assert.Equal(ResponseJson(id, body["created_at"]!.GetValue<long>(), "incomplete", "{\"reason\":\"max_output_tokens\"}", "Once upon", 2), body.ToJsonString());
    }

    [Fact]
    public async Task Stream_ExactEventSequence()
    {
        var resp = await Host.Http.PostAsync("v1/responses", Http.Json("{\"model\":\"fake\",\"input\":\"Hi\",\"stream\":true,\"max_output_tokens\":2}"));
        Assert.Equal("text/event-stream; charset=utf-8", resp.Content.Headers.ContentType!.ToString());
        var events = (await resp.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('\n')).Select(l => (Name: l[0]["event: ".Length..], Data: JsonNode.Parse(l[1]["data: ".Length..])!)).ToList();
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
            "response.output_item.done", "response.incomplete"], events.Select(e => e.Name));
        Assert.All(events, e => Assert.Equal(e.Name, e.Data["type"]!.GetValue<string>()));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Data["sequence_number"]!.GetValue<int>()));
        var id = events[0].Data["response"]!["id"]!.GetValue<string>();
        var item = "msg_" + id[5..];
        Assert.Equal(("in_progress", "[]", "null"), (events[0].Data["response"]!["status"]!.GetValue<string>(), events[0].Data["response"]!["output"]!.ToJsonString(), events[0].Data["response"]!["usage"]?.ToJsonString() ?? "null"));
        Assert.Equal($"{{\"type\":\"message\",\"id\":\"{item}\",\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}}", events[2].Data["item"]!.ToJsonString());
        Assert.Equal($"{{\"type\":\"response.content_part.added\",\"sequence_number\":3,\"item_id\":\"{item}\",\"output_index\":0,\"content_index\":0,\"part\":{{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}}}}", events[3].Data.ToJsonString());
        Assert.Equal($"{{\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"item_id\":\"{item}\",\"output_index\":0,\"content_index\":0,\"delta\":\"Once\",\"logprobs\":[]}}", events[4].Data.ToJsonString());
        Assert.Equal(" upon", events[5].Data["delta"]!.GetValue<string>());
        Assert.Equal("Once upon", events[6].Data["text"]!.GetValue<string>());
        Assert.Equal("Once upon", events[7].Data["part"]!["text"]!.GetValue<string>());
        Assert.Equal("incomplete", events[8].Data["item"]!["status"]!.GetValue<string>());
        var final = events[9].Data["response"]!;
        Assert.Equal(ResponseJson(id, final["created_at"]!.GetValue<long>(), "incomplete", "{\"reason\":\"max_output_tokens\"}", "Once upon", 2), final.ToJsonString());

        // The stored response is the final one.
        var (_, stored) = await SendAsync(Host.Http, HttpMethod.Get, "v1/responses/" + id);
        Assert.Equal(final.ToJsonString(), stored!.ToJsonString());
    }

    [Fact]
    public async Task InstructionsAndItems_ReachTheTemplate()
    {
        await SendAsync(Host.Http, HttpMethod.Post, "v1/responses",
            "{\"model\":\"fake\",\"instructions\":\"Be brief\",\"input\":[{\"role\":\"developer\",\"content\":\"D\"},{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"Q\"}]}," +
            "{\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"A\"}]},{\"role\":\"user\",\"content\":\"Q2\"}],\"temperature\":0.5,\"top_p\":0.9,\"max_output_tokens\":3,\"store\":false}");
        Assert.Equal("[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"system\",\"content\":\"D\"},{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"A\"},{\"role\":\"user\",\"content\":\"Q2\"}]",
            Host.Template.LastContext!["messages"]!.ToJsonString());
        var s = Host.Engine.LastRequest.Sampling;
        Assert.Equal((3, 0.5f, 0.9f), (s.MaxTokens, s.Temperature, s.TopP));
    }

    [Fact]
    public async Task PreviousResponseId_ContinuesTheStoredConversation_WithoutItsInstructions()
    {
        var (_, first) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"instructions\":\"Old\",\"input\":\"Hi\",\"max_output_tokens\":2}");
        var id = first!["id"]!.GetValue<string>();
        var (status, second) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses",
            $"{{\"model\":\"fake\",\"instructions\":\"New\",\"input\":\"More\",\"previous_response_id\":\"{id}\",\"store\":false}}");
        Assert.Equal(200, status);
        Assert.Equal(id, second!["previous_response_id"]!.GetValue<string>());
        Assert.Equal("[{\"role\":\"system\",\"content\":\"New\"},{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Once upon\"},{\"role\":\"user\",\"content\":\"More\"}]",
            Host.Template.LastContext!["messages"]!.ToJsonString());
        // store:false is not kept
        (status, _) = await SendAsync(Host.Http, HttpMethod.Get, "v1/responses/" + second["id"]!.GetValue<string>());
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Get_Delete_ById()
    {
        var (_, created) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"input\":\"Hi\"}");
        var id = created!["id"]!.GetValue<string>();
        var (status, got) = await SendAsync(Host.Http, HttpMethod.Get, "v1/responses/" + id);
        Assert.Equal((200, created.ToJsonString()), (status, got!.ToJsonString()));
        var (ds, deleted) = await SendAsync(Host.Http, HttpMethod.Delete, "v1/responses/" + id);
        Assert.Equal((200, $"{{\"id\":\"{id}\",\"object\":\"response.deleted\",\"deleted\":true}}"), (ds, deleted!.ToJsonString()));
        (status, got) = await SendAsync(Host.Http, HttpMethod.Get, "v1/responses/" + id);
        Assert.Equal(404, status);
        Assert.Equal($"Response with id '{id}' not found.", Http.AssertOpenAiError(got, "id", "not_found")["message"]!.GetValue<string>());
        (status, _) = await SendAsync(Host.Http, HttpMethod.Delete, "v1/responses/" + id);
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task StoredResponses_ArePerKey()
    {
        await using var host = TestHost.Start(new ServerOptions { ApiKeys = ["alice", "bob"] });
        var (_, created) = await SendAsync(host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"input\":\"Hi\"}", "alice");
        var id = created!["id"]!.GetValue<string>();
        Assert.Equal(200, (await SendAsync(host.Http, HttpMethod.Get, "v1/responses/" + id, key: "alice")).Status);
        Assert.Equal(404, (await SendAsync(host.Http, HttpMethod.Get, "v1/responses/" + id, key: "bob")).Status);
        var (status, body) = await SendAsync(host.Http, HttpMethod.Post, "v1/responses", $"{{\"model\":\"fake\",\"input\":\"x\",\"previous_response_id\":\"{id}\"}}", "bob");
        Assert.Equal(404, status);
        Http.AssertOpenAiError(body, "previous_response_id", "not_found");
        Assert.Equal(404, (await SendAsync(host.Http, HttpMethod.Delete, "v1/responses/" + id, key: "bob")).Status);
        Assert.Equal(200, (await SendAsync(host.Http, HttpMethod.Post, "v1/responses", $"{{\"model\":\"fake\",\"input\":\"x\",\"previous_response_id\":\"{id}\"}}", "alice")).Status);
    }

    [Fact]
    public async Task Store_IsBounded_LeastRecentlyUsedGoesFirst()
    {
        await using var host = TestHost.Start(new ServerOptions { ResponseStoreCapacity = 2 });
        async Task<string> Create() => (await SendAsync(host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"input\":\"Hi\"}")).Body!["id"]!.GetValue<string>();
        var (a, b) = (await Create(), await Create());
        Assert.Equal(200, (await SendAsync(host.Http, HttpMethod.Get, "v1/responses/" + a)).Status); // a is now the most recent
        var c = await Create();
        Assert.Equal(404, (await SendAsync(host.Http, HttpMethod.Get, "v1/responses/" + b)).Status);
        Assert.Equal(200, (await SendAsync(host.Http, HttpMethod.Get, "v1/responses/" + a)).Status);
        Assert.Equal(200, (await SendAsync(host.Http, HttpMethod.Get, "v1/responses/" + c)).Status);
    }

    [Theory]
    [InlineData("{\"model\":\"fake\"}", "'input' is required", "input", null)]
    [InlineData("{\"model\":\"fake\",\"input\":[]}", "'input' must contain at least one item", "input", null)]
    [InlineData("{\"model\":\"fake\",\"input\":7}", "'input' must be a string or an array of input items", "input", null)]
    [InlineData("{\"model\":\"fake\",\"input\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "'input[0].role' must be \"user\", \"assistant\", \"system\" or \"developer\"", "input[0].role", null)]
    [InlineData("{\"model\":\"fake\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"x\"}]}]}", "'input[0].content[0]': content type 'input_image' is not supported (only input_text and output_text)", "input[0].content[0].type", null)]
    [InlineData("{\"model\":\"fake\",\"input\":[{\"type\":\"function_call_output\",\"output\":\"x\"}]}", "'input[0].call_id' is required", "input[0].call_id", null)]
    [InlineData("{\"model\":\"fake\",\"input\":\"Hi\",\"tools\":[{\"type\":\"web_search\"}]}", "'tools[0]': tool type 'web_search' is not supported (only function tools)", "tools[0].type", "unsupported_feature")]
    [InlineData("{\"model\":\"fake\",\"input\":\"Hi\",\"text\":{\"format\":{\"type\":\"yaml\"}}}", "'text.format.type' must be \"text\", \"json_object\" or \"json_schema\", not \"yaml\"", "text.format.type", null)]
    [InlineData("{\"model\":\"fake\",\"input\":\"Hi\",\"reasoning\":{\"effort\":\"high\"}}", "the model 'fake:latest' does not support thinking", "reasoning", "unsupported_by_model")]
    [InlineData("{\"model\":\"fake\",\"input\":\"Hi\",\"temperature\":3}", "'temperature' must be between 0 and 2", "temperature", null)]
    [InlineData("{\"model\":\"fake\",\"input\":\"Hi\",\"max_output_tokens\":500}", "This model's maximum context length is 128 tokens. However, you requested 527 tokens (27 in the prompt, 500 for the completion). Please reduce the prompt or max_output_tokens.", "max_output_tokens", "context_length_exceeded")]
    public async Task BadRequests_400(string json, string message, string param, string? code)
    {
        var before = Host.Engine.Requests.Count;
        var (status, body) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses", json);
        Assert.Equal(400, status);
        var error = Http.AssertOpenAiError(body, param, code);
        Assert.Equal(message, error["message"]!.GetValue<string>());
        Assert.Equal(before, Host.Engine.Requests.Count);
    }

    [Fact]
    public async Task UnknownPreviousResponse_And_UnknownModel_404()
    {
        var (status, body) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"input\":\"Hi\",\"previous_response_id\":\"resp_nope\"}");
        Assert.Equal(404, status);
        Assert.Equal("Previous response with id 'resp_nope' not found.", Http.AssertOpenAiError(body, "previous_response_id", "not_found")["message"]!.GetValue<string>());
        (status, body) = await SendAsync(Host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"nope\",\"input\":\"Hi\"}");
        Assert.Equal(404, status);
        Http.AssertOpenAiError(body, "model", "model_not_found");
    }

    [Fact]
    public async Task StreamFailure_IsAnErrorEvent_AndNothingIsStored()
    {
        await using var host = TestHost.Start();
        host.Engine.FailAfter = 1;
        var text = await (await host.Http.PostAsync("v1/responses", Http.Json("{\"model\":\"fake\",\"input\":\"Hi\",\"stream\":true}"))).Content.ReadAsStringAsync();
        Assert.EndsWith("event: error\ndata: {\"type\":\"error\",\"sequence_number\":5,\"code\":\"server_error\",\"message\":\"generation failed: scripted failure\",\"param\":null}\n\n", text);
        var id = JsonNode.Parse(text.Split('\n')[1]["data: ".Length..])!["response"]!["id"]!.GetValue<string>();
        Assert.Equal(404, (await SendAsync(host.Http, HttpMethod.Get, "v1/responses/" + id)).Status);
    }

    [Fact]
    public async Task MetricsAndRequestLog_CoverResponses()
    {
        await using var host = TestHost.Start();
        var (_, body) = await SendAsync(host.Http, HttpMethod.Post, "v1/responses", "{\"model\":\"fake\",\"input\":\"Hi\",\"max_output_tokens\":2}");
        var id = body!["id"]!.GetValue<string>()["resp_".Length..];
        var line = await host.LogLineAsync($"id={id}");
        Assert.Matches($"^request id={id} method=POST path=/v1/responses model=fake:latest prompt_tokens={HiPromptTokens} completion_tokens=2 ttft_ms=[0-9.]+ duration_ms=[0-9.]+ status=200 trace_id=([0-9a-f]{32}|-)$", line);
        var metrics = await host.Http.GetStringAsync("metrics");
        Assert.Contains("hearth:request_success_total{model_name=\"fake:latest\",finished_reason=\"length\"} 1\n", metrics);
        Assert.Contains("hearth:generation_tokens_total{model_name=\"fake:latest\"} 2\n", metrics);
        Assert.Contains("hearth:e2e_request_latency_seconds_count{model_name=\"fake:latest\"} 1\n", metrics);
    }
}
