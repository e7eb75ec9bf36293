using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Server.Generation;
using Hearth.Server.Http;

namespace Hearth.Server.Responses;

/// <summary>The Responses API's tool shapes mapped onto the pipeline's (OpenAI chat) ones: function tools
/// {type:"function", name, description, parameters} become chat function tools; tool_choice {type:"function",
/// name} becomes chat's named choice; function_call input items become an assistant turn's tool_calls and
/// function_call_output items "tool" messages (tool_call_id = call_id).</summary>
public static class ResponsesTools
{
    public static ToolSettings? Tools(JsonArgs a)
    {
        if (a.Array("tools") is not { Count: > 0 } tools) return null;
        var definitions = new JsonArray();
        for (var i = 0; i < tools.Count; i++)
        {
            var t = new JsonArgs(tools[i] as JsonObject ?? throw ApiException.BadRequest($"'tools[{i}]' must be an object", $"tools[{i}]"), $"tools[{i}].");
            var type = t.String("type");
            if (type != "function")
                throw ApiException.BadRequest($"'tools[{i}]': tool type '{type}' is not supported (only function tools)", $"tools[{i}].type", "unsupported_feature");
            var name = t.String("name");
            if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest($"'tools[{i}].name' is required", $"tools[{i}].name");
            var function = new JsonObject { ["name"] = name };
            if (t.String("description") is { } description) function["description"] = description;
            function["parameters"] = t.Obj("parameters")?.Object.DeepClone() ?? new JsonObject { ["type"] = "object" };
            definitions.Add((JsonNode)new JsonObject { ["type"] = "function", ["function"] = function });
        }
        return new ToolSettings(definitions, Choice(a.Object["tool_choice"]), "tools");
    }

    private static JsonNode? Choice(JsonNode? choice) => choice switch
    {
        null => null,
        JsonObject o when new JsonArgs(o, "tool_choice.") is var c && c.String("type") == "function" => new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = c.String("name") ?? throw ApiException.BadRequest("'tool_choice.name' is required", "tool_choice.name") },
        },
        JsonObject => throw ApiException.BadRequest("'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"name\":…}", "tool_choice"),
        _ => choice.DeepClone(), // "auto", "none", "required" (checked with the chat rules)
    };

    /// <summary>A function_call input item, added to the assistant turn before it when that turn is one of calls.</summary>
    public static void AddCall(List<ChatMessage> messages, JsonArgs item, string field)
    {
        var call = new JsonObject
        {
            ["id"] = Required(item, "call_id", field),
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = Required(item, "name", field), ["arguments"] = item.String("arguments") ?? "{}" },
        };
        if (messages.Count > 0 && messages[^1] is { Role: "assistant" } last && last.Extra["tool_calls"] is JsonArray calls)
        {
            calls.Add((JsonNode)call);
            return;
        }
        messages.Add(new ChatMessage("assistant", "", new JsonObject { ["tool_calls"] = new JsonArray(call) }));
    }

    /// <summary>A function_call_output input item: the tool's result.</summary>
    public static ChatMessage Output(JsonArgs item, string field)
    {
        var output = item.Object["output"];
        string text = output is null ? "" : output.GetValueKind() == JsonValueKind.String ? output.GetValue<string>() : output.ToJsonString();
        return new ChatMessage("tool", text, new JsonObject { ["tool_call_id"] = Required(item, "call_id", field) });
    }

    private static string Required(JsonArgs item, string name, string field) =>
        item.String(name) is { Length: > 0 } v ? v : throw ApiException.BadRequest($"'{field}.{name}' is required", $"{field}.{name}");
}
