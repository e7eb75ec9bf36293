using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Server.Http;

namespace Hearth.Server.Generation;

/// <summary>A request's <c>tool_choice</c>: "none" (no calls), "auto" or absent (the model decides), "required" (one
/// call to any tool) or a named function (one call to it). Anything else is a 400.</summary>
public readonly record struct ToolChoice(bool None, bool Forced, string? Only)
{
    public static ToolChoice Parse(JsonNode? choice)
    {
        switch (choice)
        {
            case null:
                return new(false, false, null);
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                string name = v.GetValue<string>();
                if (name is not ("none" or "auto" or "required"))
                    throw ApiException.BadRequest($"'tool_choice' must be \"none\", \"auto\", \"required\" or a named function, not \"{name}\"", "tool_choice");
                return new(name == "none", name == "required", null);
            case JsonObject o when o["function"] is JsonObject f && f["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String:
                return new(false, true, n.GetValue<string>());
            default:
                throw ApiException.BadRequest("'tool_choice' must be a string or {\"type\":\"function\",\"function\":{\"name\":...}}", "tool_choice");
        }
    }
}
