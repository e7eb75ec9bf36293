using System.Net;
using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>POST /v1/messages and /v1/messages/count_tokens over raw HTTP: the exact message object, the exact event
/// sequence, stop reasons, how requests reach the template and the engine, and every error in Anthropic's shape.
/// The fake model answers "Once", " upon", " a", " time", "." and then ends (end of turn).</summary>
public sealed class AnthropicApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestHost Host => fixture.Host;
    private const string Hi = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
    /// <summary>BOS + the fake template's "&lt;|user|&gt;\nHi\n&lt;|assistant|&gt;\n".</summary>
    private static readonly int HiPromptTokens = 1 + "<|user|>\nHi\n<|assistant|>\n".Length;

    /// <summary>Asserts Anthropic's error shape exactly: {"type":"error","error":{"type","message"}}.</summary>
    internal static string AssertAnthropicError(JsonNode? body, string type)
    {
        var o = Assert.IsType<JsonObject>(body);
        Assert.Equal(["type", "error"], o.Select(p => p.Key).ToArray());
        Assert.Equal("error", o["type"]!.GetValue<string>());
        var e = Assert.IsType<JsonObject>(o["error"]);
        Assert.Equal(["type", "message"], e.Select(p => p.Key).ToArray());
        Assert.Equal(type, e["type"]!.GetValue<string>());
        return e["message"]!.GetValue<string>();
    }

    [Fact]
    public async Task Message_ExactShape()
    {
        var (status, body, resp) = await Http.PostAsync(Host.Http, "v1/messages", $"{{\"model\":\"fake\",\"max_tokens\":2,{Hi}}}");
        Assert.Equal(200, status);
        Assert.Equal("application/json; charset=utf-8", resp.Content.Headers.ContentType!.ToString());
        var id = body!["id"]!.GetValue<string>();
        Assert.Matches("^msg_[0-9a-f]{24}$", id);
        Assert.Equal(
            $"{{\"id\":\"{id}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"fake:latest\",\"content\":[{{\"type\":\"text\",\"text\":\"Once upon\"}}]," +
            $"\"stop_reason\":\"max_tokens\",\"stop_sequence\":null,\"usage\":{{\"input_tokens\":{HiPromptTokens},\"output_tokens\":2,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}}",
            body.ToJsonString());
    }

    [Fact]
    public async Task StopReasons_EndTurn_StopSequence()
    {
        var (_, body, _) = await Http.PostAsync(Host.Http, "v1/messages", $"{{\"model\":\"fake\",\"max_tokens\":50,{Hi}}}");
        Assert.Equal(("Once upon a time.", "end_turn"), (body!["content"]![0]!["text"]!.GetValue<string>(), body["stop_reason"]!.GetValue<string>()));
        Assert.Null(body["stop_sequence"]);

        (_, body, _) = await Http.PostAsync(Host.Http, "v1/messages", $"{{\"model\":\"fake\",\"max_tokens\":50,\"stop_sequences\":[\" a\",\"zz\"],{Hi}}}");
        Assert.Equal(("Once upon", "stop_sequence", " a"),
            (body!["content"]![0]!["text"]!.GetValue<string>(), body["stop_reason"]!.GetValue<string>(), body["stop_sequence"]!.GetValue<string>()));
        Assert.Equal([" a", "zz"], Host.Engine.LastRequest.Sampling.Stop);
    }

    [Fact]
    public async Task Stream_ExactEventSequence()
    {
        var resp = await Host.Http.PostAsync("v1/messages", Http.Json($"{{\"model\":\"fake\",\"max_tokens\":2,\"stream\":true,{Hi}}}"));
        Assert.Equal("text/event-stream; charset=utf-8", resp.Content.Headers.ContentType!.ToString());
        var text = await resp.Content.ReadAsStringAsync();
        var id = JsonNode.Parse(text.Split('\n')[1]["data: ".Length..])!["message"]!["id"]!.GetValue<string>();
        Assert.Equal(
            "event: message_start\n" +
            $"data: {{\"type\":\"message_start\",\"message\":{{\"id\":\"{id}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"fake:latest\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null," +
            $"\"usage\":{{\"input_tokens\":{HiPromptTokens},\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}}}}\n\n" +
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
            "event: ping\ndata: {\"type\":\"ping\"}\n\n" +
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Once\"}}\n\n" +
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" upon\"}}\n\n" +
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null}," +
            $"\"usage\":{{\"input_tokens\":{HiPromptTokens},\"output_tokens\":2,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}}\n\n" +
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            text);
    }

    [Fact]
    public async Task SystemAsStringOrBlocks_AndTextBlocks_ReachTheTemplate()
    {
        await Http.PostAsync(Host.Http, "v1/messages",
            "{\"model\":\"fake\",\"max_tokens\":1,\"system\":[{\"type\":\"text\",\"text\":\"Be \"},{\"type\":\"text\",\"text\":\"brief\"}]," +
            "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Q\"}]},{\"role\":\"assistant\",\"content\":\"A\"},{\"role\":\"user\",\"content\":\"Q2\"}]," +
            "\"temperature\":0.5,\"top_p\":0.9,\"top_k\":7,\"metadata\":{\"user_id\":\"u\"}}");
        Assert.Equal("[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"A\"},{\"role\":\"user\",\"content\":\"Q2\"}]",
            Host.Template.LastContext!["messages"]!.ToJsonString());
        var s = Host.Engine.LastRequest.Sampling;
        Assert.Equal((1, 0.5f, 0.9f, 7), (s.MaxTokens, s.Temperature, s.TopP, s.TopK));

        await Http.PostAsync(Host.Http, "v1/messages", $"{{\"model\":\"fake\",\"max_tokens\":1,\"system\":\"S\",{Hi}}}");
        Assert.Equal("S", Host.Template.LastContext!["messages"]![0]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task CountTokens_IsThePromptLength()
    {
        var (status, body, _) = await Http.PostAsync(Host.Http, "v1/messages/count_tokens", $"{{\"model\":\"fake\",\"system\":\"S\",{Hi}}}");
        Assert.Equal(200, status);
        Assert.Equal($"{{\"input_tokens\":{HiPromptTokens + "<|system|>\nS\n".Length}}}", body!.ToJsonString());
    }

    [Theory]
    [InlineData("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "'max_tokens' is required")]
    [InlineData("{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "'model' is required")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5}", "'messages' is required")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"messages\":[]}", "'messages' must contain at least one message")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "'max_tokens' must be between 1 and 2147483647")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"temperature\":1.5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "'temperature' must be between 0 and 1")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"messages\":[{\"role\":\"tool\",\"content\":\"Hi\"}]}", "'messages[0].role' must be \"user\", \"assistant\" or \"system\"")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":7}]}", "'messages[0].content' must be a string or an array of content blocks")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{}}]}]}", "'messages[0].content[0]': content block type 'image' is not supported in user messages")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\"}]}]}", "'messages[0].content[0]': content block type 'tool_result' is not supported in assistant messages")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}],\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "'tools[0]': server tool 'web_search_20250305' is not supported (only client tools with input_schema)")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "the model 'fake:latest' does not support thinking")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"stop_sequences\":[\"\"],\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "'stop_sequences' must be an array of non-empty strings")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":500,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "This model's maximum context length is 128 tokens. However, you requested 527 tokens (27 in the prompt, 500 for the completion). Please reduce the prompt or max_tokens.")]
    [InlineData("{\"model\":\"fake\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}", "the request body is not valid JSON")]
    public async Task BadRequests_400_InAnthropicShape(string json, string message)
    {
        var before = Host.Engine.Requests.Count;
        var (status, body, _) = await Http.PostAsync(Host.Http, "v1/messages", json);
        Assert.Equal(400, status);
        Assert.StartsWith(message, AssertAnthropicError(body, "invalid_request_error"));
        Assert.Equal(before, Host.Engine.Requests.Count); // refused before the engine
    }

    [Fact]
    public async Task CountTokens_Errors_InAnthropicShape()
    {
        var (status, body, _) = await Http.PostAsync(Host.Http, "v1/messages/count_tokens", "{\"model\":\"fake\",\"tools\":[{\"name\":\"f\"}]," + Hi + "}");
        Assert.Equal(400, status);
        Assert.Equal("'tools[0].input_schema' is required", AssertAnthropicError(body, "invalid_request_error"));
        (status, body, _) = await Http.PostAsync(Host.Http, "v1/messages/count_tokens", "{\"model\":\"nope\"," + Hi + "}");
        Assert.Equal(404, status);
        Assert.Equal("model 'nope' not found", AssertAnthropicError(body, "not_found_error"));
    }

    [Fact]
    public async Task UnknownModel_404_WrongMethod_405_InAnthropicShape()
    {
        var (status, body, _) = await Http.PostAsync(Host.Http, "v1/messages", $"{{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,{Hi}}}");
        Assert.Equal(404, status);
        Assert.Equal("model 'claude-sonnet-4-5' not found", AssertAnthropicError(body, "not_found_error"));

        var r = await Host.Http.GetAsync("v1/messages");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        AssertAnthropicError(JsonNode.Parse(await r.Content.ReadAsStringAsync()), "invalid_request_error");
    }

    [Fact]
    public async Task Busy_429_And_StreamFailure_ErrorEvent()
    {
        await using var host = TestHost.Start();
        host.Engine.Busy = true;
        var (status, body, resp) = await Http.PostAsync(host.Http, "v1/messages", $"{{\"model\":\"fake\",\"max_tokens\":5,{Hi}}}");
        Assert.Equal(429, status);
        Assert.NotNull(resp.Headers.RetryAfter);
        AssertAnthropicError(body, "rate_limit_error");

        host.Engine.Busy = false;
        host.Engine.FailAfter = 1;
        var text = await (await host.Http.PostAsync("v1/messages", Http.Json($"{{\"model\":\"fake\",\"max_tokens\":5,\"stream\":true,{Hi}}}"))).Content.ReadAsStringAsync();
        Assert.EndsWith(
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Once\"}}\n\n" +
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"generation failed: scripted failure\"}}\n\n", text);
    }

    [Fact]
    public async Task XApiKey_And_Bearer_Authenticate_Errors_InAnthropicShape()
    {
        await using var host = TestHost.Start(new ServerOptions { ApiKeys = ["sk-ant-local"] });
        async Task<(int, JsonNode?)> Send(string header, string value)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Http.Json($"{{\"model\":\"fake\",\"max_tokens\":1,{Hi}}}") };
            if (header.Length > 0) req.Headers.TryAddWithoutValidation(header, value);
            req.Headers.Add("anthropic-version", "2023-06-01");
            using var resp = await host.Http.SendAsync(req);
            return ((int)resp.StatusCode, JsonNode.Parse(await resp.Content.ReadAsStringAsync()));
        }
        Assert.Equal(200, (await Send("x-api-key", "sk-ant-local")).Item1);
        Assert.Equal(200, (await Send("Authorization", "Bearer sk-ant-local")).Item1);
        var (status, body) = await Send("x-api-key", "wrong");
        Assert.Equal(401, status);
        Assert.Equal("Incorrect API key provided.", AssertAnthropicError(body, "authentication_error"));
        (status, body) = await Send("", "");
        Assert.Equal(401, status);
        AssertAnthropicError(body, "authentication_error");
    }

    [Fact]
    public async Task MetricsAndRequestLog_CoverMessages_WithTheSameNamesAndLabels()
    {
        await using var host = TestHost.Start();
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/messages", $"{{\"model\":\"fake\",\"max_tokens\":2,{Hi}}}");
        using (var streamed = await host.Http.PostAsync("v1/messages", Http.Json($"{{\"model\":\"fake\",\"max_tokens\":50,\"stream\":true,{Hi}}}")))
            await streamed.Content.ReadAsStringAsync();
        var id = body!["id"]!.GetValue<string>()["msg_".Length..];
        var line = await host.LogLineAsync($"id={id}");
        Assert.Matches($"^request id={id} method=POST path=/v1/messages model=fake:latest prompt_tokens={HiPromptTokens} completion_tokens=2 ttft_ms=[0-9.]+ duration_ms=[0-9.]+ status=200 trace_id=([0-9a-f]{32}|-)$", line);
        var metrics = await host.Http.GetStringAsync("metrics");
        Assert.Contains("hearth:request_success_total{model_name=\"fake:latest\",finished_reason=\"length\"} 1\n", metrics);
        Assert.Contains("hearth:request_success_total{model_name=\"fake:latest\",finished_reason=\"stop\"} 1\n", metrics);
        Assert.Contains($"hearth:prompt_tokens_total{{model_name=\"fake:latest\"}} {2 * HiPromptTokens}\n", metrics);
        Assert.Contains("hearth:generation_tokens_total{model_name=\"fake:latest\"} 7\n", metrics);
        Assert.Contains("hearth:time_to_first_token_seconds_count{model_name=\"fake:latest\"} 2\n", metrics);
    }
}
