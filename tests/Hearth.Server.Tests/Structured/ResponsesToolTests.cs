using System.Text.Json.Nodes;
using Hearth.Core.Templates;
using Hearth.Engine;
using Hearth.Engine.Tests.Structured;
using Hearth.Server.Tests.Fakes;
using Hearth.Tests;

namespace Hearth.Server.Tests.Structured;

/// <summary>Tools and reasoning on the Responses API over real HTTP: scripted calls come back as function_call items
/// (whole and as events); function_call/function_call_output input items — sent directly or after
/// previous_response_id — reach the real Llama 3.1 template exactly as the reference renders them; a thinking
/// model's thinking is a reasoning item before the message.</summary>
public sealed class ResponsesToolTests
{
    private static readonly string[] CallPieces = ["{\"name\": \"get_", "weather\", \"arguments\": {\"city\": ", "\"Paris\"}}"];
    private const string Tools = "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]";

    [Fact]
    public async Task ToolCallsComeBackAsFunctionCallItemsWholeAndStreamed()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = CallPieces;
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/responses", $$"""{"model":"fake","input":"Weather?",{{Tools}}}""");
        Assert.True(status == 200, body?.ToJsonString());
        var item = Assert.Single(body!["output"]!.AsArray())!;
        Assert.Equal("function_call", item["type"]!.GetValue<string>());
        Assert.Equal("get_weather", item["name"]!.GetValue<string>());
        Assert.StartsWith("call_", item["call_id"]!.GetValue<string>());
        Assert.Equal("{\"city\":\"Paris\"}", item["arguments"]!.GetValue<string>());
        Assert.Equal("completed", body["status"]!.GetValue<string>());

        var events = await EventsAsync(host, $$"""{"model":"fake","input":"Weather?","stream":true,{{Tools}}}""");
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.done",
            "response.content_part.done", "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
            "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done", "response.completed"],
            events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e["sequence_number"]!.GetValue<int>()));
        // The arguments stream as the model writes them (the fake engine's pieces), and add up to the final ones.
        Assert.Equal(["{\"city\":", "\"Paris\"}"], events.Where(e => e["type"]!.GetValue<string>() == "response.function_call_arguments.delta").Select(e => e["delta"]!.GetValue<string>()));
        Assert.Equal("{\"city\":\"Paris\"}", events[10]["arguments"]!.GetValue<string>());
        var output = events[^1]["response"]!["output"]!.AsArray();
        Assert.Equal(["message", "function_call"], output.Select(o => o!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AToolResultContinuesAStoredResponse()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = CallPieces;
        var (_, first, _) = await Http.PostAsync(host.Http, "v1/responses", $$"""{"model":"fake","input":"Weather?",{{Tools}}}""");
        string callId = first!["output"]![0]!["call_id"]!.GetValue<string>();
        host.Engine.Pieces = ["Sunny."];
        var (status, second, _) = await Http.PostAsync(host.Http, "v1/responses",
            $$"""{"model":"fake","previous_response_id":"{{first["id"]!.GetValue<string>()}}","input":[{"type":"function_call_output","call_id":"{{callId}}","output":"22C"}],{{Tools}}}""");
        Assert.True(status == 200, second?.ToJsonString());
        Assert.Equal("Sunny.", second!["output"]![0]!["content"]![0]!["text"]!.GetValue<string>());
        var messages = host.Template.LastContext!["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("get_weather", messages[1]!["tool_calls"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("{\"city\":\"Paris\"}", messages[1]!["tool_calls"]![0]!["function"]!["arguments"]!.ToJsonString());
        Assert.Equal(callId, messages[2]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("22C", messages[2]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task ToolItemsRenderAsTheReference()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "templates", "meta-llama-Llama-3.1-8B-Instruct.tool_call_response.json")))!;
        await using var host = TestHost.WithTemplate(ChatTemplate.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "templates", "meta-llama-Llama-3.1-8B-Instruct.jinja"))));
        host.Engine.Limits = new EngineLimits(8192, 8192, 259, 64);
        var m = reference["messages"]!.AsArray();
        var call = m[2]!["tool_calls"]![0]!;
        var tools = new JsonArray(reference["tools"]!.AsArray().Select(t => (JsonNode)new JsonObject
        {
            ["type"] = "function", ["name"] = t!["function"]!["name"]!.DeepClone(), ["description"] = t["function"]!["description"]!.DeepClone(), ["parameters"] = t["function"]!["parameters"]!.DeepClone(),
        }).ToArray());
        var body = new JsonObject
        {
            ["model"] = "fake", ["max_output_tokens"] = 4, ["instructions"] = m[0]!["content"]!.DeepClone(), ["tools"] = tools, ["store"] = false,
            ["input"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = m[1]!["content"]!.DeepClone() },
                new JsonObject { ["type"] = "function_call", ["call_id"] = call["id"]!.DeepClone(), ["name"] = call["function"]!["name"]!.DeepClone(), ["arguments"] = call["function"]!["arguments"]!.ToJsonString() },
                new JsonObject { ["type"] = "function_call_output", ["call_id"] = call["id"]!.DeepClone(), ["output"] = m[3]!["content"]!.DeepClone() }),
        };
        var (status, answer, _) = await Http.PostAsync(host.Http, "v1/responses", body.ToJsonString());
        Assert.True(status == 200, answer?.ToJsonString());
        string expected = "<s>" + reference["expected"]!.GetValue<string>()["<|begin_of_text|>".Length..];
        Assert.Equal(expected, new FakeTokenizer().Decode(host.Engine.LastRequest.PromptTokens.ToArray(), renderSpecial: true));
    }

    [SharedFact]
    public async Task ThinkingIsAReasoningItemBeforeTheMessage()
    {
        await using var host = TestHost.WithTemplate(ChatTemplate.Parse(File.ReadAllText(TestPaths.SharedFile("reference", "templates", ThinkingTemplates.DeepSeekLlama)!)));
        host.Engine.Pieces = ["Two and two.", "</think>\n\n", "Four."];
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/responses", """{"model":"fake","input":"2+2?","reasoning":{"effort":"medium"}}""");
        var output = body!["output"]!.AsArray();
        Assert.Equal(["reasoning", "message"], output.Select(o => o!["type"]!.GetValue<string>()));
        Assert.Equal("Two and two.", output[0]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("Four.", output[1]!["content"]![0]!["text"]!.GetValue<string>());

        var events = await EventsAsync(host, """{"model":"fake","input":"2+2?","stream":true}""");
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.reasoning_text.delta", "response.reasoning_text.done",
            "response.output_item.done", "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
            "response.content_part.done", "response.output_item.done", "response.completed"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("Two and two.", events[3]["delta"]!.GetValue<string>());
        Assert.Equal(1, events[8]["output_index"]!.GetValue<int>());
    }

    private static Task<List<JsonNode>> EventsAsync(TestHost host, string body) => Http.SseEventsAsync(host.Http, "v1/responses", body);
}
