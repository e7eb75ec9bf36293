using System.Text.Json.Nodes;
using Hearth.Engine.Structured.Json;
using Hearth.Engine.Structured.Text;

namespace Hearth.Engine.Structured.Tools;

/// <summary>The grammar of exactly one tool call in a family's format, with the arguments following the tool's
/// parameter schema: tool_choice "required" (any of the tools) or a named function. A call made under it always
/// parses (<see cref="ToolCallParser"/>) to a known function with schema-valid arguments.</summary>
public static class ToolGrammar
{
    /// <param name="tools">OpenAI chat-shape tool definitions.</param>
    /// <param name="only">The one function allowed (a named tool_choice), or null for any.</param>
    public static Grammar Build(ToolCallFormat format, JsonArray tools, string? only)
    {
        string source = $"tools\u0001{format}\u0001{only}\u0001{tools.ToJsonString()}";
        return GrammarCache.GetOrAdd(source, () => Compile(format, tools, only));
    }

    private static Grammar Compile(ToolCallFormat format, JsonArray tools, string? only)
    {
        var b = new GrammarBuilder();
        var options = new List<GrammarNode>();
        int i = 0;
        foreach (var (name, parameters) in Functions(tools, only))
        {
            var args = JsonSchemaCompiler.Embed(parameters, b, $"tool{i++}:");
            string nameJson = JsonParts.Serialize(JsonValue.Create(name));
            options.Add(format switch
            {
                ToolCallFormat.Hermes => GrammarNode.Sequence(GrammarNode.Literal($"{ToolCallParser.HermesOpen}\n{{\"name\": {nameJson}, \"arguments\": "), args, GrammarNode.Literal($"}}\n{ToolCallParser.HermesClose}")),
                ToolCallFormat.Mistral => GrammarNode.Sequence(GrammarNode.Literal($"{ToolCallParser.MistralMarker}[{{\"name\": {nameJson}, \"arguments\": "), args, GrammarNode.Literal("}]")),
                ToolCallFormat.Llama3Json => GrammarNode.Sequence(GrammarNode.Literal($"{{\"name\": {nameJson}, \"parameters\": "), args, GrammarNode.Literal("}")),
                _ => GrammarNode.Sequence(GrammarNode.Literal($"{{\"name\": {nameJson}, \"arguments\": "), args, GrammarNode.Literal("}")),
            });
        }
        int root = b.Rule("root");
        b.Define(root, GrammarNode.Choice(options));
        return b.Build(root);
    }

    /// <summary>The callable functions (all, or the one named) with their parameter schemas (an object when absent);
    /// none is a <see cref="GrammarException"/> for tool_choice.</summary>
    internal static List<(string Name, JsonObject Parameters)> Functions(JsonArray tools, string? only)
    {
        var result = new List<(string, JsonObject)>();
        foreach (var tool in tools)
        {
            var f = tool?["function"] as JsonObject ?? throw new GrammarException("each tool must be {\"type\":\"function\",\"function\":{...}}", null, "tools");
            string name = f["name"]?.GetValue<string>() ?? throw new GrammarException("a tool has no name", null, "tools");
            if (only is not null && name != only) continue;
            result.Add((name, f["parameters"] as JsonObject ?? new JsonObject { ["type"] = "object" }));
        }
        if (result.Count == 0)
            throw new GrammarException(only is null ? "tool_choice needs at least one tool" : $"tool_choice names '{only}', which is not among the tools", null, "tool_choice");
        return result;
    }
}
