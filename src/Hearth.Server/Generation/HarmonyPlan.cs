using Hearth.Engine;
using Hearth.Engine.Structured;
using Hearth.Engine.Structured.Harmony;
using Hearth.Engine.Structured.Tools;
using Hearth.Server.Http;
using Hearth.Store.Hosting;

namespace Hearth.Server.Generation;

/// <summary>What a harmony model's (gpt-oss) answer means for one request: its analysis channel is the thinking
/// (reasoning_content / message.thinking, shown unless thinking is turned off or the protocol has no place for it), its
/// final channel and commentary preambles the content, and its messages to <c>functions.NAME</c> tool calls (when the
/// request has tools). An output constraint applies to the final message's body, and a forced tool choice makes the
/// answer one call (<see cref="HarmonyGrammar"/>); either may follow the model's thinking.</summary>
public sealed record HarmonyPlan(bool ShowReasoning, bool Tools, Grammar? Grammar)
{
    /// <summary>Null for a model whose template is not harmony's.</summary>
    public static HarmonyPlan? From(GenerationSpec spec, LoadedModel model, IResponseWriter writer)
    {
        if (!HarmonyFormats.Detect(model.ChatTemplate)) return null;
        bool tools = false;
        Grammar? grammar = null;
        if (spec.Tools is { Definitions.Count: > 0 } t)
        {
            var choice = ToolChoice.Parse(t.Choice);
            tools = !choice.None;
            if (choice.Forced) grammar = ToolPlan.CompileCall(() => HarmonyGrammar.Call(t.Definitions, choice.Only));
        }
        if (spec.Output is { } output)
        {
            if (grammar is not null) throw ApiException.BadRequest("tool_choice \"required\" or a named tool cannot be combined with an output format", output.Param);
            grammar = HarmonyGrammar.Final(OutputGrammar.Compile(output));
        }
        return new HarmonyPlan(spec.Reasoning?.Enabled != false && writer is IReasoningWriter, tools, grammar);
    }

    /// <summary>Splits each collected choice; a choice with calls finishes "tool_calls".</summary>
    public void Apply(IReadOnlyList<CollectedChoice> choices)
    {
        foreach (var c in choices)
        {
            var answer = HarmonyParser.Parse(c.Text.ToString());
            c.Reasoning = ShowReasoning && answer.Reasoning.Length > 0 ? answer.Reasoning : null;
            c.Text.Clear().Append(answer.Content);
            if (!Tools || answer.Calls.Count == 0) continue;
            c.ToolCalls = answer.Calls;
            if (c.Finish == "stop") c.Finish = "tool_calls";
        }
    }

    /// <summary>A streaming parser per choice.</summary>
    public HarmonyDeltas Stream(int choices, IResponseWriter writer) =>
        new(choices, ShowReasoning ? writer as IReasoningWriter : null, Tools ? writer as IToolCallWriter : null);
}

/// <summary>Streams a harmony answer: each choice's text goes through a <see cref="HarmonyParser"/>; thinking goes to
/// the reasoning writer (or nowhere), content on as the delta's text, and the tool calls, complete once the model has
/// ended (&lt;|call|&gt; ends generation), go out whole before the final delta.</summary>
public sealed class HarmonyDeltas(int choices, IReasoningWriter? reasoning, IToolCallWriter? calls)
{
    private readonly HarmonyParser[] _parsers = [.. Enumerable.Range(0, choices).Select(_ => new HarmonyParser())];

    public async Task HandleAsync(GenerationRun run, IResponseWriter writer, GenerationDelta d)
    {
        var parser = _parsers[d.Index];
        var piece = parser.Push(d.Text);
        string thinking = piece.Reasoning, content = piece.Content;
        if (d.Finish is not null)
        {
            var end = parser.Finish();
            thinking += end.Reasoning;
            content += end.Content;
        }
        if (reasoning is not null && thinking.Length > 0) await reasoning.WriteReasoningAsync(run, d.Index, thinking);
        if (d.Finish is null)
        {
            if (content.Length > 0 || d.Logprobs is { Count: > 0 }) await writer.WriteDeltaAsync(run, d with { Text = content });
            return;
        }
        if (calls is null || parser.Calls.Count == 0 || d.Finish != FinishReason.Stop)
        {
            await writer.WriteDeltaAsync(run, d with { Text = content });
            return;
        }
        if (content.Length > 0 || d.Logprobs is { Count: > 0 }) await writer.WriteDeltaAsync(run, d with { Text = content, Finish = null });
        for (int i = 0; i < parser.Calls.Count; i++)
        {
            ToolCall call = parser.Calls[i];
            await calls.StartToolCallAsync(run, d.Index, i, call.Id, call.Name);
            await calls.WriteToolArgumentsAsync(run, d.Index, i, call.Arguments);
        }
        await calls.EndToolCallsAsync(run, d.Index, parser.Calls);
    }
}
