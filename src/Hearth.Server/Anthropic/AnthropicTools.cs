using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Server.Generation;
using Hearth.Server.Http;

namespace Hearth.Server.Anthropic;

/// <summary>Anthropic's tool shapes mapped onto the pipeline's (OpenAI chat) ones: tools {name, description,
/// input_schema} become function tools; tool_choice auto/any/tool/none becomes auto/required/a named
/// function/none; an assistant turn's tool_use blocks become its tool_calls, and a user turn's tool_result blocks
/// become "tool" messages (tool_call_id) ahead of its text, as chat templates expect.</summary>
public static class AnthropicTools
{
    public static ToolSettings? Tools(JsonArgs a)
    {
        if (a.Array("tools") is not { Count: > 0 } tools) return null;
        var definitions = new JsonArray();
        for (var i = 0; i < tools.Count; i++)
        {
            var t = new JsonArgs(tools[i] as JsonObject ?? throw ApiException.BadRequest($"'tools[{i}]' must be an object", $"tools[{i}]"), $"tools[{i}].");
            if (t.String("type") is { } type && type != "custom")
                throw ApiException.BadRequest($"'tools[{i}]': server tool '{type}' is not supported (only client tools with input_schema)", $"tools[{i}].type", "unsupported_feature");
            var name = t.String("name");
            if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest($"'tools[{i}].name' is required", $"tools[{i}].name");
            var function = new JsonObject { ["name"] = name };
            if (t.String("description") is { } description) function["description"] = description;
            function["parameters"] = (t.Obj("input_schema") ?? throw ApiException.BadRequest($"'tools[{i}].input_schema' is required", $"tools[{i}].input_schema")).Object.DeepClone();
            definitions.Add((JsonNode)new JsonObject { ["type"] = "function", ["function"] = function });
        }
        return new ToolSettings(definitions, Choice(a.Obj("tool_choice")), "tools");
    }

    private static JsonNode? Choice(JsonArgs? choice)
    {
        if (choice is null) return null;
        return choice.String("type") switch
        {
            "auto" => "auto",
            "any" => "required",
            "none" => "none",
            "tool" => new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = choice.String("name") ?? throw ApiException.BadRequest("'tool_choice.name' is required for type \"tool\"", "tool_choice.name") },
            },
            var other => throw ApiException.BadRequest($"'tool_choice.type' must be \"auto\", \"any\", \"tool\" or \"none\", not \"{other}\"", "tool_choice.type"),
        };
    }

    /// <summary>One Anthropic message as chat messages: tool results first (one "tool" message each), then the turn
    /// itself (its text, and for an assistant its tool_use blocks as tool_calls). Thinking blocks of earlier turns
    /// are dropped (templates drop them too).</summary>
    public static IEnumerable<ChatMessage> Messages(string role, JsonNode? content, string field)
    {
        if (content is null) throw ApiException.BadRequest($"'{field}' is required", field);
        if (content.GetValueKind() == JsonValueKind.String) return [new ChatMessage(role, content.GetValue<string>(), new JsonObject())];
        if (content is not JsonArray blocks) throw ApiException.BadRequest($"'{field}' must be a string or an array of content blocks", field);
        var results = new List<ChatMessage>();
        var calls = new JsonArray();
        var text = new StringBuilder();
        for (var i = 0; i < blocks.Count; i++)
        {
            var at = $"{field}[{i}]";
            var args = new JsonArgs(blocks[i] as JsonObject ?? throw ApiException.BadRequest($"'{at}' must be an object", at), at + ".");
            switch (args.String("type"))
            {
                case "text":
                    text.Append(args.String("text") ?? throw ApiException.BadRequest($"'{at}.text' is required", $"{at}.text"));
                    break;
                case "tool_use" when role == "assistant":
                    calls.Add((JsonNode)new JsonObject
                    {
                        ["id"] = Required(args, "id", at),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = Required(args, "name", at), ["arguments"] = (args.Obj("input")?.Object ?? new JsonObject()).DeepClone() },
                    });
                    break;
                case "tool_result" when role == "user":
                    var result = args.Object["content"] is { } c ? ResultText(c, $"{at}.content") : "";
                    if (args.Bool("is_error") == true) result = "Error: " + result;
                    results.Add(new ChatMessage("tool", result, new JsonObject { ["tool_call_id"] = Required(args, "tool_use_id", at) }));
                    break;
                case "thinking" or "redacted_thinking" when role == "assistant":
                    break;
                case var type:
                    throw ApiException.BadRequest($"'{at}': content block type '{type}' is not supported in {role} messages", $"{at}.type");
            }
        }
        if (calls.Count > 0) results.Add(new ChatMessage(role, text.ToString(), new JsonObject { ["tool_calls"] = calls }));
        else if (text.Length > 0 || results.Count == 0) results.Add(new ChatMessage(role, text.ToString(), new JsonObject()));
        return results;
    }

    private static string Required(JsonArgs block, string name, string at) =>
        block.String(name) is { Length: > 0 } v ? v : throw ApiException.BadRequest($"'{at}.{name}' is required", $"{at}.{name}");

    /// <summary>A tool_result's content: a string or text blocks.</summary>
    private static string ResultText(JsonNode content, string field)
    {
        if (content.GetValueKind() == JsonValueKind.String) return content.GetValue<string>();
        if (content is not JsonArray parts) throw ApiException.BadRequest($"'{field}' must be a string or an array of text blocks", field);
        var sb = new StringBuilder();
        for (var i = 0; i < parts.Count; i++)
        {
            var p = new JsonArgs(parts[i] as JsonObject ?? throw ApiException.BadRequest($"'{field}[{i}]' must be an object", $"{field}[{i}]"), $"{field}[{i}].");
            if (p.String("type") != "text") throw ApiException.BadRequest($"'{field}[{i}]': only text blocks are supported in tool results", $"{field}[{i}].type");
            sb.Append(p.String("text"));
        }
        return sb.ToString();
    }
}
