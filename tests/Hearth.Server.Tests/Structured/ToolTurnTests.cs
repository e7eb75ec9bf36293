using System.Text.Json.Nodes;
using Hearth.Core.Templates;
using Hearth.Engine;
using Hearth.Server.Tests.Fakes;
using Hearth.Tests;

namespace Hearth.Server.Tests.Structured;

/// <summary>A tool-calling conversation (an assistant turn that calls a tool, then the tool's result) sent through
/// each API in its own shape reaches the real Llama 3.1 template as HF transformers renders it: the prompt equals
/// the committed Jinja2 reference rendering byte for byte. Ollama streams tool calls as a message line.</summary>
public sealed class ToolTurnTests
{
    private static JsonObject Case => JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "templates", "meta-llama-Llama-3.1-8B-Instruct.tool_call_response.json")))!.AsObject();

    private static TestHost Llama31()
    {
        var host = TestHost.WithTemplate(ChatTemplate.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "templates", "meta-llama-Llama-3.1-8B-Instruct.jinja"))));
        host.Engine.Limits = new EngineLimits(8192, 8192, 259, 64); // the reference prompt is longer than the fake model's 128
        host.Engine.Pieces = ["It is 22 °C."];
        return host;
    }

    /// <summary>The reference rendering with the fake tokenizer's BOS.</summary>
    private static string Expected => "<s>" + Case["expected"]!.GetValue<string>()["<|begin_of_text|>".Length..];

    private static string Prompt(TestHost host) => new FakeTokenizer().Decode(host.Engine.LastRequest.PromptTokens.ToArray(), renderSpecial: true);

    [Fact]
    public async Task OpenAiToolTurnsRenderAsTheReference()
    {
        await using var host = Llama31();
        var messages = Case["messages"]!.DeepClone().AsArray();
        // OpenAI clients send arguments as JSON text.
        var call = messages[2]!["tool_calls"]![0]!["function"]!;
        call["arguments"] = call["arguments"]!.ToJsonString();
        var body = new JsonObject { ["model"] = "fake", ["max_tokens"] = 4, ["messages"] = messages, ["tools"] = Case["tools"]!.DeepClone() };
        var (status, answer, _) = await Http.PostAsync(host.Http, "v1/chat/completions", body.ToJsonString());
        Assert.True(status == 200, answer?.ToJsonString());
        Assert.Equal(Expected, Prompt(host));
    }

    [Fact]
    public async Task OllamaToolTurnsRenderAsTheReference()
    {
        await using var host = Llama31();
        var messages = Case["messages"]!.DeepClone().AsArray();
        messages[2]!["content"] = ""; // Ollama clients send "" with tool calls, and no ids
        messages[2]!["tool_calls"]![0]!.AsObject().Remove("id");
        var body = new JsonObject { ["model"] = "fake", ["stream"] = false, ["messages"] = messages, ["tools"] = Case["tools"]!.DeepClone() };
        var (status, answer, _) = await Http.PostAsync(host.Http, "api/chat", body.ToJsonString());
        Assert.True(status == 200, answer?.ToJsonString());
        Assert.Equal(Expected, Prompt(host));
    }

    [Fact]
    public async Task OllamaStreamsToolCalls()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = ["{\"name\": \"get_", "weather\", \"arguments\": {\"city\": ", "\"Paris\"}}"];
        const string body = """{"model":"fake","messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}""";
        var r = await host.Http.PostAsync("api/chat", Http.Json(body));
        var lines = (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var withCalls = Assert.Single(lines, l => l["message"]?["tool_calls"] is not null);
        Assert.False(withCalls["done"]!.GetValue<bool>());
        var call = Assert.Single(withCalls["message"]!["tool_calls"]!.AsArray())!["function"]!;
        Assert.Equal("get_weather", call["name"]!.GetValue<string>());
        Assert.Equal("{\"city\":\"Paris\"}", call["arguments"]!.ToJsonString());
        Assert.Equal("", string.Concat(lines.Select(l => l["message"]!["content"]!.GetValue<string>())));
        Assert.True(lines[^1]["done"]!.GetValue<bool>());
        Assert.Equal("stop", lines[^1]["done_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task OllamaSendsArgumentsThatAreNotJsonAsText()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = ["{\"name\": \"f\", \"arguments\": \"just text\"}"];
        const string body = """{"model":"fake","stream":false,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""";
        var (status, answer, _) = await Http.PostAsync(host.Http, "api/chat", body);
        Assert.Equal(200, status);
        Assert.Equal("just text", answer!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>());
    }
}
