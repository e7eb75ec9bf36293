using Hearth.Engine;
using Hearth.Engine.Structured;
using Hearth.Engine.Structured.Reasoning;
using Hearth.Store.Hosting;
using Hearth.Server.Http;

namespace Hearth.Server.Generation;

/// <summary>What thinking means for one request: the model's reasoning format (from its chat template), whether
/// the prompt opened the thinking block, and whether the thinking is shown (split out as reasoning_content /
/// message.thinking) or dropped (thinking turned off, or a protocol whose writer has no place for it). A constraint
/// on the output then applies after the thinking (<see cref="ThinkingGrammar"/>).</summary>
public sealed record ReasoningPlan(ReasoningFormat Format, bool OpenInPrompt, bool Show)
{
    /// <summary>The template variables a request's reasoning settings set: enable_thinking when it says yes or no.</summary>
    public static PromptOptions Options(GenerationSpec spec)
    {
        var args = spec.TemplateArgs?.DeepClone().AsObject();
        if (spec.Reasoning?.Enabled is { } enabled)
        {
            args ??= [];
            args["enable_thinking"] = enabled;
        }
        return new PromptOptions(spec.Tools?.Definitions, args);
    }

    /// <summary>Null for a model that does not think, or a prompt that is not rendered by the template; a 400 when
    /// the request asks a model that cannot think to think.</summary>
    public static ReasoningPlan? From(GenerationSpec spec, LoadedModel model, PromptOptions options, IResponseWriter writer)
    {
        var format = ReasoningFormats.Detect(model.ChatTemplate);
        bool? enabled = spec.Reasoning?.Enabled;
        if (format is null)
        {
            if (enabled == true)
                throw ApiException.BadRequest($"the model '{model.Name}' does not support thinking", spec.Reasoning!.Param, "unsupported_by_model");
            return null;
        }
        if (spec.Prompt.OpensThinking(model, options, format) is not { } open) return null;
        return new ReasoningPlan(format, open, Show: enabled != false && writer is IReasoningWriter);
    }

    /// <summary>The grammar with a thinking block in front (the constraint applies to the answer after it).</summary>
    public Grammar Wrap(Grammar answer) => ThinkingGrammar.Wrap(answer, Format, OpenInPrompt);

    /// <summary>Splits each collected choice into its thinking (kept when shown) and its content.</summary>
    public void Apply(IReadOnlyList<CollectedChoice> choices)
    {
        foreach (var c in choices)
        {
            var split = ReasoningSplitter.Split(Format, OpenInPrompt, c.Text.ToString());
            c.Reasoning = Show ? split.Reasoning : null;
            c.Text.Clear().Append(split.Content);
        }
    }

    /// <summary>A streaming splitter per choice.</summary>
    public ReasoningDeltas Stream(int choices, IResponseWriter writer) => new(this, choices, Show ? writer as IReasoningWriter : null);
}

/// <summary>A writer that can send thinking: OpenAI chat's reasoning_content, Ollama's message.thinking.</summary>
public interface IReasoningWriter
{
    /// <summary>Sends a piece of a choice's thinking.</summary>
    Task WriteReasoningAsync(GenerationRun run, int index, string text);
}

/// <summary>Streams thinking apart from content: each choice's text goes through a <see cref="ReasoningSplitter"/>;
/// its thinking goes to the writer (or nowhere when not shown), its content on as the delta's text.</summary>
public sealed class ReasoningDeltas(ReasoningPlan plan, int choices, IReasoningWriter? writer)
{
    private readonly ReasoningSplitter[] _splitters = [.. Enumerable.Range(0, choices).Select(_ => new ReasoningSplitter(plan.Format, plan.OpenInPrompt))];

    /// <summary>Sends the delta's thinking; returns the delta with only its content.</summary>
    public async Task<GenerationDelta> SplitAsync(GenerationRun run, GenerationDelta d)
    {
        var splitter = _splitters[d.Index];
        var piece = splitter.Push(d.Text);
        string reasoning = piece.Reasoning, content = piece.Content;
        if (d.Finish is not null)
        {
            var end = splitter.Finish();
            reasoning += end.Reasoning;
            content += end.Content;
        }
        if (writer is not null && reasoning.Length > 0) await writer.WriteReasoningAsync(run, d.Index, reasoning);
        return d with { Text = content };
    }
}
