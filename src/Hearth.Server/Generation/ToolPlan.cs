using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Core.Templates;
using Hearth.Engine.Structured;
using Hearth.Engine.Structured.Tools;
using Hearth.Server.Http;

namespace Hearth.Server.Generation;

/// <summary>What a request's tools mean for this model: the family's call format (from its chat template), and for
/// tool_choice "required" or a named function the grammar that forces one valid call. tool_choice "none": no plan
/// (the answer is plain content).</summary>
public sealed record ToolPlan(ToolCallFormat Format, Grammar? Grammar)
{
    public static ToolPlan? From(ToolSettings? tools, IChatTemplate? template)
    {
        if (tools is null || tools.Definitions.Count == 0) return null;
        var format = ToolCallFormats.Detect(template);
        string? only = null;
        bool forced;
        switch (tools.Choice)
        {
            case null:
                forced = false;
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                string choice = v.GetValue<string>();
                if (choice == "none") return null;
                if (choice != "auto" && choice != "required")
                    throw ApiException.BadRequest($"'tool_choice' must be \"none\", \"auto\", \"required\" or a named function, not \"{choice}\"", "tool_choice");
                forced = choice == "required";
                break;
            case JsonObject o when NamedFunction(o) is { } named:
                only = named;
                forced = true;
                break;
            default:
                throw ApiException.BadRequest("'tool_choice' must be a string or {\"type\":\"function\",\"function\":{\"name\":...}}", "tool_choice");
        }
        if (!forced) return new ToolPlan(format, null);
        try
        {
            return new ToolPlan(format, ToolGrammar.Build(format, tools.Definitions, only));
        }
        catch (GrammarException e)
        {
            throw ApiException.BadRequest(e.Message, e.Param ?? "tools", e.Keyword is null ? "invalid_tools" : "unsupported_schema");
        }
    }

    private static string? NamedFunction(JsonObject choice) =>
        choice["function"] is JsonObject f && f["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null;

    /// <summary>Splits each collected choice into content and calls; a choice with calls finishes "tool_calls".</summary>
    public void Apply(IReadOnlyList<CollectedChoice> choices)
    {
        foreach (var c in choices)
        {
            var parsed = ToolCallParser.Parse(Format, c.Text.ToString());
            if (parsed.Calls.Count == 0) continue;
            c.ToolCalls = parsed.Calls;
            c.Text.Clear().Append(parsed.Content);
            if (c.Finish == "stop") c.Finish = "tool_calls";
        }
    }
}

/// <summary>A writer that can send tool calls in a stream: a call's id and name as soon as they are known, then its
/// arguments in fragments as the model writes them (OpenAI tool_calls deltas, Anthropic input_json_delta, Responses
/// function_call_arguments.delta); a protocol without partial calls (Ollama) sends them whole at the end.</summary>
public interface IToolCallWriter
{
    /// <summary>Call number <paramref name="call"/> of choice <paramref name="index"/> begins.</summary>
    Task StartToolCallAsync(GenerationRun run, int index, int call, string id, string name) => Task.CompletedTask;

    /// <summary>The next piece of a started call's arguments (the pieces add up to its final arguments).</summary>
    Task WriteToolArgumentsAsync(GenerationRun run, int index, int call, string fragment) => Task.CompletedTask;

    /// <summary>The choice ends with these calls (each started and its arguments sent): finish "tool_calls".</summary>
    Task EndToolCallsAsync(GenerationRun run, int index, IReadOnlyList<ToolCall> calls);
}
