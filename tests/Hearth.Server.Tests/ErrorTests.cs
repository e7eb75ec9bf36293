using System.Net;
using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>Every error case over raw HTTP: OpenAI's exact error shape, Ollama's {"error"} shape, status codes.</summary>
public sealed class ErrorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient C => fixture.Host.Http;

    [Fact]
    public async Task MalformedJson_400()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/chat/completions", "{\"model\": \"fake\", \"messages\": [");
        Assert.Equal(400, status);
        var err = Http.AssertOpenAiError(body, code: "invalid_json");
        Assert.Equal("invalid_request_error", err["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task DuplicateKey_400()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/completions", "{\"model\":\"plain\",\"prompt\":\"a\",\"model\":\"fake\"}");
        Assert.Equal(400, status);
        Http.AssertOpenAiError(body, code: "invalid_json");
    }

    [Fact]
    public async Task NonObjectBody_400()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/completions", "[1,2]");
        Assert.Equal(400, status);
        Http.AssertOpenAiError(body, code: "invalid_json");
    }

    [Theory]
    [InlineData("\"temperature\": \"hot\"", "temperature")]
    [InlineData("\"temperature\": 3", "temperature")]
    [InlineData("\"max_tokens\": 1.5", "max_tokens")]
    [InlineData("\"max_tokens\": 0", "max_tokens")]
    [InlineData("\"n\": 0", "n")]
    [InlineData("\"stream\": \"yes\"", "stream")]
    [InlineData("\"stop\": 5", "stop")]
    [InlineData("\"stop\": [\"a\", 1]", "stop")]
    [InlineData("\"top_p\": 0", "top_p")]
    [InlineData("\"model\": 7", "model")]
    [InlineData("\"stream_options\": {\"include_usage\": 1}", "stream_options.include_usage")]
    [InlineData("\"top_logprobs\": 2", "top_logprobs")]
    [InlineData("\"messages\": [{\"content\": \"x\"}]", "messages[0].role")]
    [InlineData("\"messages\": [{\"role\": \"user\", \"content\": 5}]", "messages[0].content")]
    public async Task WrongTypesAndBadValues_400_NameTheParam(string field, string param)
    {
        var json = field.StartsWith("\"messages\"", StringComparison.Ordinal) ? $"{{\"model\":\"fake\",{field}}}"
            : field.StartsWith("\"model\"", StringComparison.Ordinal) ? $"{{\"messages\":[{{\"role\":\"user\",\"content\":\"Hi\"}}],{field}}}"
            : $"{{\"model\":\"fake\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hi\"}}],{field}}}";
        var (status, body, _) = await Http.PostAsync(C, "v1/chat/completions", json);
        Assert.Equal(400, status);
        Http.AssertOpenAiError(body, param);
    }

    [Fact]
    public async Task UnknownFields_Tolerated()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/chat/completions",
            "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\",\"weird\":1}],\"frobnicate\":{\"x\":[1,2]},\"parallel_tool_calls\":false}");
        Assert.Equal(200, status);
        Assert.Equal("Once upon a time.", body!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task EmptyMessages_400()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/chat/completions", "{\"model\":\"fake\",\"messages\":[]}");
        Assert.Equal(400, status);
        Http.AssertOpenAiError(body, "messages");
        (status, body, _) = await Http.PostAsync(C, "v1/chat/completions", "{\"model\":\"fake\"}");
        Assert.Equal(400, status);
        Http.AssertOpenAiError(body, "messages");
    }

    [Fact]
    public async Task HugeBody_413()
    {
        // Content-Length over the limit: refused before the body is read. With Expect: 100-continue (as large
        // uploads should use) the client learns it without sending the body, so the answer cannot race a reset.
        var big = new string('a', 5 * 1024 * 1024);
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = Http.Json($"{{\"model\":\"fake\",\"prompt\":\"{big}\"}}") };
        req.Headers.ExpectContinue = true;
        var resp = await C.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, resp.StatusCode);
        Http.AssertOpenAiError(JsonNode.Parse(await resp.Content.ReadAsStringAsync()), code: "request_too_large");
    }

    [Fact]
    public async Task HugeBody_Chunked_413()
    {
        // No Content-Length: the limit is enforced while reading.
        var big = new string('a', 5 * 1024 * 1024);
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"{{\"model\":\"fake\",\"prompt\":\"{big}\"}}")));
        content.Headers.ContentType = new("application/json");
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = content };
        req.Headers.TransferEncodingChunked = true;
        var resp = await C.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, resp.StatusCode);
        Http.AssertOpenAiError(JsonNode.Parse(await resp.Content.ReadAsStringAsync()), code: "request_too_large");
    }

    [Fact]
    public async Task UnknownModel_404()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/completions", "{\"model\":\"nope:7b\",\"prompt\":\"Hi\"}");
        Assert.Equal(404, status);
        var err = Http.AssertOpenAiError(body, "model", "model_not_found");
        Assert.Equal("model 'nope:7b' not found", err["message"]!.GetValue<string>());

        var get = await C.GetAsync("v1/models/nope");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Http.AssertOpenAiError(JsonNode.Parse(await get.Content.ReadAsStringAsync()), "model", "model_not_found");
    }

    [Fact]
    public async Task UnknownModel_Ollama_404_OllamaShape()
    {
        var resp = await C.PostAsync("api/chat", Http.Json("{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Equal("{\"error\":\"model 'nope' not found\"}", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OverlongPrompt_400_NeverTruncated()
    {
        var prompt = new string('x', TestHost.ContextLength); // + BOS = context + 1 tokens
        var before = fixture.Host.PlainEngine.Requests.Count;
        var (status, body, _) = await Http.PostAsync(C, "v1/completions", $"{{\"model\":\"plain\",\"prompt\":\"{prompt}\"}}");
        Assert.Equal(400, status);
        var err = Http.AssertOpenAiError(body, "prompt", "context_length_exceeded");
        Assert.Contains("maximum context length is 128 tokens", err["message"]!.GetValue<string>());
        Assert.Contains("129 tokens", err["message"]!.GetValue<string>());
        Assert.Equal(before, fixture.Host.PlainEngine.Requests.Count); // never reached the engine

        var (s2, b2, _) = await Http.PostAsync(C, "api/generate", $"{{\"model\":\"plain\",\"prompt\":\"{prompt}\"}}");
        Assert.Equal(400, s2);
        Assert.Contains("maximum context length", b2!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task MaxTokensBeyondContext_400_ForOpenAi_ClampedForOllama()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/completions", "{\"model\":\"plain\",\"prompt\":\"Hello\",\"max_tokens\":1000}");
        Assert.Equal(400, status);
        Http.AssertOpenAiError(body, "max_tokens", "context_length_exceeded");

        var (s2, _, _) = await Http.PostAsync(C, "api/generate", "{\"model\":\"plain\",\"prompt\":\"Hello\",\"stream\":false,\"options\":{\"num_predict\":1000}}");
        Assert.Equal(200, s2);
        Assert.Equal(TestHost.ContextLength - 6, fixture.Host.PlainEngine.LastRequest.Sampling.MaxTokens);
    }

    [Fact]
    public async Task UnknownRoute_404_And_WrongMethod_405()
    {
        var r = await C.GetAsync("v1/nothing");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Http.AssertOpenAiError(JsonNode.Parse(await r.Content.ReadAsStringAsync()), code: "not_found");

        r = await C.GetAsync("v1/chat/completions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Http.AssertOpenAiError(JsonNode.Parse(await r.Content.ReadAsStringAsync()), code: "method_not_allowed");

        r = await C.GetAsync("api/chat");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Assert.Equal("Method GET is not allowed on /api/chat", JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task TemplateRejection_400()
    {
        var (status, body, _) = await Http.PostAsync(C, "v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"bad\",\"content\":\"x\"}]}");
        Assert.Equal(400, status);
        Assert.Contains("roles must alternate", Http.AssertOpenAiError(body, "messages")["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ollama_BadOptions_400()
    {
        var (status, body, _) = await Http.PostAsync(C, "api/generate", "{\"model\":\"plain\",\"prompt\":\"Hi\",\"options\":{\"temperature\":\"warm\"}}");
        Assert.Equal(400, status);
        Assert.Equal("'options.temperature' must be a number", body!["error"]!.GetValue<string>());
        (status, body, _) = await Http.PostAsync(C, "api/generate", "{\"model\":\"plain\",\"prompt\":\"Hi\",\"keep_alive\":\"5 parsecs\"}");
        Assert.Equal(400, status);
    }
}
