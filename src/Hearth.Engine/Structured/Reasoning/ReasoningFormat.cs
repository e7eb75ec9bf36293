using System.Text.Json.Nodes;
using Hearth.Core.Templates;

namespace Hearth.Engine.Structured.Reasoning;

/// <summary>How a model marks its thinking: the text between <see cref="Start"/> and <see cref="End"/> (DeepSeek-R1
/// and its distills, Qwen3, QwQ: &lt;think&gt;…&lt;/think&gt;). <see cref="CanDisable"/>: the template honours
/// <c>enable_thinking=false</c> (Qwen3 writes an empty think block into the prompt).</summary>
public sealed record ReasoningFormat(string Start, string End, bool CanDisable)
{
    public const string ThinkStart = "<think>", ThinkEnd = "</think>";

    /// <summary>Whether a rendered prompt leaves the model inside a thinking block (its generation prompt opens one,
    /// as DeepSeek-R1 templates do with "&lt;think&gt;\n"): then the output starts with thinking and no start marker.</summary>
    public bool IsOpenAtEnd(string generationPrompt) =>
        generationPrompt.LastIndexOf(Start, StringComparison.Ordinal) is var open and >= 0
        && open > generationPrompt.LastIndexOf(End, StringComparison.Ordinal);
}

/// <summary>Detects thinking models from their chat template, by what it renders (not by its name): a template
/// whose generation prompt opens &lt;think&gt;, that writes a closed think block when <c>enable_thinking</c> is false,
/// or that strips &lt;think&gt;…&lt;/think&gt; from earlier assistant turns belongs to a model that thinks.</summary>
public static class ReasoningFormats
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IChatTemplate, StrongBox> Detected = new();

    private sealed class StrongBox(ReasoningFormat? value)
    {
        public ReasoningFormat? Value { get; } = value;
    }

    /// <summary>The template's reasoning format, or null for a model that does not think (detected once per template).</summary>
    public static ReasoningFormat? Detect(IChatTemplate? template) =>
        template is null ? null : Detected.GetValue(template, t => new StrongBox(Probe(t))).Value;

    private const string ProbeReasoning = "hearth-probe-reasoning", ProbeAnswer = "hearth-probe-answer";

    private static ReasoningFormat? Probe(IChatTemplate template)
    {
        string? plain = Render(template, Chat(history: false), generation: true, enableThinking: null);
        string? off = Render(template, Chat(history: false), generation: true, enableThinking: false);
        string? history = Render(template, Chat(history: true), generation: true, enableThinking: null);
        bool opens = plain is not null && plain.Contains(ReasoningFormat.ThinkStart, StringComparison.Ordinal);
        bool disables = off is not null && off != plain && off.Contains(ReasoningFormat.ThinkEnd, StringComparison.Ordinal);
        bool strips = history is not null && history.Contains(ProbeAnswer, StringComparison.Ordinal) && !history.Contains(ProbeReasoning, StringComparison.Ordinal);
        return opens || disables || strips ? new ReasoningFormat(ReasoningFormat.ThinkStart, ReasoningFormat.ThinkEnd, disables) : null;
    }

    private static JsonArray Chat(bool history) => history
        ? new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = "hello" },
            new JsonObject { ["role"] = "assistant", ["content"] = $"{ReasoningFormat.ThinkStart}{ProbeReasoning}{ReasoningFormat.ThinkEnd}{ProbeAnswer}" },
            new JsonObject { ["role"] = "user", ["content"] = "again" })
        : new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello" });

    private static string? Render(IChatTemplate template, JsonArray messages, bool generation, bool? enableThinking)
    {
        var context = new JsonObject { ["messages"] = messages, ["add_generation_prompt"] = generation, ["bos_token"] = "", ["eos_token"] = "" };
        if (enableThinking is { } e) context["enable_thinking"] = e;
        try
        {
            return template.Render(context);
        }
        catch (TemplateException)
        {
            return null; // a template that cannot render the probe tells nothing about thinking
        }
    }
}
