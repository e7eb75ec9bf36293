using System.ClientModel;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Tests;
using Json.Schema;
using OllamaSharp;
using OllamaSharp.Models.Chat;
using OpenAI;
using OpenAI.Chat;

namespace Hearth.Server.Tests.Structured;

/// <summary>Tool calls over real HTTP: the official OpenAI SDK and OllamaSharp read the calls Hearth parsed from a
/// scripted answer (streamed and not); tool_choice "required" on a random-weight model always yields a valid call.</summary>
public sealed class ToolCallApiTests
{
    private static readonly string[] CallPieces = ["{\"name\": \"get_", "weather\", \"arguments\": {\"city\": ", "\"Paris\", \"unit\": \"c\"}}"];

    private static ChatTool Weather() => ChatTool.CreateFunctionTool("get_weather", "Weather in a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["c","f"]}},"required":["city","unit"]}"""));

    [Fact]
    public async Task OpenAiSdkReadsToolCallsWholeAndStreamed()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = CallPieces;
        var chat = new ChatClient("fake", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1") });
        var options = new ChatCompletionOptions { Tools = { Weather() } };

        ChatCompletion c = await chat.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options);
        Assert.Equal(ChatFinishReason.ToolCalls, c.FinishReason);
        var call = Assert.Single(c.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.Id);
        Assert.Equal("""{"city":"Paris","unit":"c"}""", call.FunctionArguments.ToString());

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var args = new Dictionary<int, StringBuilder>();
        var content = new StringBuilder();
        ChatFinishReason? finish = null;
        int fragments = 0;
        await foreach (var u in chat.CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], options))
        {
            foreach (var part in u.ContentUpdate) content.Append(part.Text);
            foreach (var t in u.ToolCallUpdates)
            {
                if (t.ToolCallId is { } id) ids[t.Index] = id;
                if (t.FunctionName is { } name) names[t.Index] = name;
                if (!args.TryGetValue(t.Index, out var sb)) args[t.Index] = sb = new StringBuilder();
                if (t.FunctionArgumentsUpdate is { } a && a.ToString().Length > 0)
                {
                    sb.Append(a.ToString());
                    fragments++;
                }
            }
            finish ??= u.FinishReason;
        }
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("", content.ToString());
        Assert.Equal("get_weather", Assert.Single(names).Value);
        Assert.StartsWith("call_", ids[0]);
        Assert.Equal("""{"city":"Paris","unit":"c"}""", args[0].ToString());
        Assert.Equal(2, fragments); // streamed as the model wrote it: "{"city":" then the rest
    }

    [Fact]
    public async Task OllamaSharpReadsToolCalls()
    {
        await using var host = TestHost.Start();
        host.Engine.Pieces = CallPieces;
        var client = new OllamaApiClient(new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(20) }, "fake");
        var tool = new Tool { Function = new Function { Name = "get_weather", Description = "Weather", Parameters = new Parameters { Properties = new Dictionary<string, Property> { ["city"] = new() { Type = "string" } }, Required = ["city"] } } };
        ChatResponseStream? last = null;
        await foreach (var r in client.ChatAsync(new ChatRequest { Model = "fake", Stream = false, Messages = [new Message(ChatRole.User, "Weather?")], Tools = [tool] }))
            last = r;
        var call = Assert.Single(last!.Message.ToolCalls!);
        Assert.Equal("get_weather", call.Function!.Name);
        Assert.Equal("Paris", call.Function.Arguments!["city"]!.ToString());
        Assert.True(last.Done);

        // Streamed: the calls come in a message line before the final one.
        var streamed = new List<Message.ToolCall>();
        await foreach (var r in client.ChatAsync(new ChatRequest { Model = "fake", Stream = true, Messages = [new Message(ChatRole.User, "Weather?")], Tools = [tool] }))
            if (r?.Message.ToolCalls is { } calls) streamed.AddRange(calls);
        Assert.Equal("get_weather", Assert.Single(streamed).Function!.Name);
        Assert.Equal("Paris", streamed[0].Function!.Arguments!["city"]!.ToString());
    }

    [SharedFact]
    public async Task RequiredToolChoiceOnNoiseAlwaysYieldsAValidCall()
    {
        await using var host = new RealModelHost("synthetic-llama3-tiny.gguf");
        const string parameters = """{"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","days"],"additionalProperties":false}""";
        var tools = new JsonArray(
            new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "forecast", ["parameters"] = JsonNode.Parse(parameters) } },
            new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "now", ["parameters"] = JsonNode.Parse("""{"type":"object","properties":{},"additionalProperties":false}""") } });
        var schema = JsonSchema.FromText(parameters);
        var tasks = Enumerable.Range(0, 8).Select(seed => Task.Run(async () =>
        {
            var body = new JsonObject
            {
                ["model"] = "noise", ["seed"] = seed, ["max_tokens"] = 400, ["tools"] = tools.DeepClone(),
                ["tool_choice"] = seed % 2 == 0 ? "required" : new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "forecast" } },
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Forecast?" }),
            };
            var r = await host.Http.PostAsJsonAsync("v1/chat/completions", body);
            var json = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            var choice = json["choices"]![0]!;
            Assert.True(choice["finish_reason"]!.GetValue<string>() == "tool_calls", json.ToJsonString());
            var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray())!;
            string name = call["function"]!["name"]!.GetValue<string>();
            using var args = JsonDocument.Parse(call["function"]!["arguments"]!.GetValue<string>());
            if (seed % 2 == 1) Assert.Equal("forecast", name);
            if (name == "forecast") Assert.True(schema.Evaluate(args.RootElement).IsValid, json.ToJsonString());
            else Assert.Equal("now", name);
        })).ToArray();
        await Task.WhenAll(tasks);
    }
}
