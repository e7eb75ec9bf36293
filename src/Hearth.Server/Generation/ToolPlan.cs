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
        var choice = ToolChoice.Parse(tools.Choice);
        if (choice.None) return null;
        if (!choice.Forced) return new ToolPlan(format, null);
        return new ToolPlan(format, CompileCall(() => ToolGrammar.Build(format, tools.Definitions, choice.Only)));
    }

    /// <summary>A forced call's grammar; a tool list or schema it cannot enforce is a 400 naming the field.</summary>
    internal static Grammar CompileCall(Func<Grammar> build)
    {
        try
        {
            return build();
        }
        catch (GrammarException e)
        {
            throw ApiException.BadRequest(e.Message, e.Param ?? "tools", e.Keyword is null ? "invalid_tools" : "unsupported_schema");
        }
    }

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
