using System.Text.Json.Nodes;
using Hearth.Core.Templates;
using Hearth.Engine;
using Hearth.Engine.Tests.Structured;
using Hearth.Server.Tests.Fakes;
using Hearth.Tests;

namespace Hearth.Server.Tests.Structured;

/// <summary>Tools and thinking on Anthropic's Messages API over real HTTP: scripted calls come back as tool_use blocks
/// (stop_reason tool_use), whole and as the event stream (input_json_delta); tool_use/tool_result turns reach the
/// real Llama 3.1 template exactly as the reference renders the same conversation; a thinking model's thinking is a
/// thinking block before the text.</summary>
public sealed class AnthropicToolTests
{
    private static readonly string[] CallPieces = ["{\"name\": \"get_", "weather\", \"arguments\": {\"city\": ", "\"Paris\"}}"];
    private const string Tools = "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]";

    private static string Request(bool stream, string extra = "") =>
        $$"""{"model":"fake","max_tokens":20,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Weather?"}],{{Tools}}{{extra}}}""";

    [Fact]
    public async Task ToolCallsComeBackAsToolUseBlocksWholeAndStreamed()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = CallPieces;
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/messages", Request(false));
        Assert.True(status == 200, body?.ToJsonString());
        Assert.Equal("tool_use", body!["stop_reason"]!.GetValue<string>());
        var block = Assert.Single(body["content"]!.AsArray())!;
        Assert.Equal("tool_use", block["type"]!.GetValue<string>());
        Assert.Equal("get_weather", block["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(block["id"]!.GetValue<string>()));
        Assert.Equal("{\"city\":\"Paris\"}", block["input"]!.ToJsonString());
        // The template got the tools in OpenAI's function shape.
        Assert.Equal("get_weather", host.Template.LastContext!["tools"]![0]!["function"]!["name"]!.GetValue<string>());

        var events = await EventsAsync(host, Request(true));
        Assert.Equal(["message_start", "content_block_start", "ping", "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta",
            "content_block_stop", "message_delta", "message_stop"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("tool_use", events[4]["content_block"]!["type"]!.GetValue<string>());
        Assert.Equal(1, events[4]["index"]!.GetValue<int>());
        // The input streams as the model writes it (the fake engine's pieces).
        Assert.Equal("{\"city\":", events[5]["delta"]!["partial_json"]!.GetValue<string>());
        Assert.Equal("\"Paris\"}", events[6]["delta"]!["partial_json"]!.GetValue<string>());
        Assert.Equal("tool_use", events[8]["delta"]!["stop_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task ToolChoiceAnyAndToolAreEnforcedAndNoneIsPlainText()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = CallPieces;
        await Http.PostAsync(host.Http, "v1/messages", Request(false, ",\"tool_choice\":{\"type\":\"any\"}"));
        Assert.NotNull(host.Engine.LastRequest.Sampling.Grammar);
        await Http.PostAsync(host.Http, "v1/messages", Request(false, ",\"tool_choice\":{\"type\":\"tool\",\"name\":\"get_weather\"}"));
        Assert.NotNull(host.Engine.LastRequest.Sampling.Grammar);
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/messages", Request(false, ",\"tool_choice\":{\"type\":\"none\"}"));
        Assert.Equal("text", body!["content"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("end_turn", body["stop_reason"]!.GetValue<string>());
        var (status, error, _) = await Http.PostAsync(host.Http, "v1/messages", Request(false, ",\"tool_choice\":{\"type\":\"tool\",\"name\":\"nope\"}"));
        Assert.Equal(400, status);
        Assert.Contains("nope", error!.ToJsonString());
    }

    [Fact]
    public async Task ToolTurnsRenderAsTheReference()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "templates", "meta-llama-Llama-3.1-8B-Instruct.tool_call_response.json")))!;
        await using var host = TestHost.WithTemplate(ChatTemplate.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "templates", "meta-llama-Llama-3.1-8B-Instruct.jinja"))));
        host.Engine.Limits = new EngineLimits(8192, 8192, 259, 64);
        var m = reference["messages"]!.AsArray();
        var call = m[2]!["tool_calls"]![0]!;
        var tools = new JsonArray(reference["tools"]!.AsArray().Select(t => (JsonNode)new JsonObject
        {
            ["name"] = t!["function"]!["name"]!.DeepClone(), ["description"] = t["function"]!["description"]!.DeepClone(), ["input_schema"] = t["function"]!["parameters"]!.DeepClone(),
        }).ToArray());
        var body = new JsonObject
        {
            ["model"] = "fake", ["max_tokens"] = 4, ["system"] = m[0]!["content"]!.DeepClone(), ["tools"] = tools,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = m[1]!["content"]!.DeepClone() },
                new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_use", ["id"] = call["id"]!.DeepClone(), ["name"] = call["function"]!["name"]!.DeepClone(), ["input"] = call["function"]!["arguments"]!.DeepClone() }) },
                new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = call["id"]!.DeepClone(), ["content"] = m[3]!["content"]!.DeepClone() }) }),
        };
        var (status, answer, _) = await Http.PostAsync(host.Http, "v1/messages", body.ToJsonString());
        Assert.True(status == 200, answer?.ToJsonString());
        string expected = "<s>" + reference["expected"]!.GetValue<string>()["<|begin_of_text|>".Length..];
        Assert.Equal(expected, new FakeTokenizer().Decode(host.Engine.LastRequest.PromptTokens.ToArray(), renderSpecial: true));
    }

    [SharedFact]
    public async Task ThinkingIsAThinkingBlockBeforeTheText()
    {
        await using var host = TestHost.WithTemplate(ChatTemplate.Parse(File.ReadAllText(TestPaths.SharedFile("reference", "templates", ThinkingTemplates.DeepSeekLlama)!)));
        host.Engine.Pieces = ["Two and two.", "</think>\n\n", "Four."];
        const string request = """{"model":"fake","max_tokens":20,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"2+2?"}]""";
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/messages", request + "}");
        var content = body!["content"]!.AsArray();
        Assert.Equal(["thinking", "text"], content.Select(b => b!["type"]!.GetValue<string>()));
        Assert.Equal("Two and two.", content[0]!["thinking"]!.GetValue<string>());
        Assert.Equal("Four.", content[1]!["text"]!.GetValue<string>());

        var events = await EventsAsync(host, request + ",\"stream\":true}");
        Assert.Equal(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("thinking", events[1]["content_block"]!["type"]!.GetValue<string>());
        Assert.Equal("Two and two.", events[3]["delta"]!["thinking"]!.GetValue<string>());
        Assert.Equal("Four.", events[6]["delta"]!["text"]!.GetValue<string>());
    }

    private static Task<List<JsonNode>> EventsAsync(TestHost host, string body) => Http.SseEventsAsync(host.Http, "v1/messages", body);
}
