using System.Text.Json.Nodes;
using Hearth.Core.Templates;

namespace Hearth.Engine.Structured.Tools;

/// <summary>How a model family writes tool calls in its output.</summary>
public enum ToolCallFormat
{
    /// <summary>No family detected: a bare JSON object {"name", "arguments"|"parameters"} (or an array of them).</summary>
    GenericJson,
    /// <summary>Llama 3.1+: a JSON object {"name", "parameters"}, optionally after &lt;|python_tag|&gt;; several joined by ';'.</summary>
    Llama3Json,
    /// <summary>Hermes / Qwen 2.5+: &lt;tool_call&gt;{"name", "arguments"}&lt;/tool_call&gt; blocks.</summary>
    Hermes,
    /// <summary>Mistral: [TOOL_CALLS] followed by a JSON array of {"name", "arguments"}.</summary>
    Mistral,
}

/// <summary>Detects a model's tool-call format from its chat template: the template renders an assistant turn that
/// holds a tool call, and the markers it writes (&lt;tool_call&gt;, [TOOL_CALLS], &lt;|python_tag|&gt; or a
/// "parameters" object in Llama 3 headers) name the family — the way the model was trained to write calls.</summary>
public static class ToolCallFormats
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IChatTemplate, object> Detected = new();

    /// <summary>The template's format (detected once per template instance).</summary>
    public static ToolCallFormat Detect(IChatTemplate? template) =>
        template is null ? ToolCallFormat.GenericJson : (ToolCallFormat)Detected.GetValue(template, t => Probe(t));

    private static ToolCallFormat Probe(IChatTemplate template)
    {
        string rendered;
        try
        {
            rendered = template.Render(SampleConversation());
        }
        catch (TemplateException)
        {
            return ToolCallFormat.GenericJson; // a template that cannot render tool calls has no format of its own
        }
        if (rendered.Contains("<tool_call>", StringComparison.Ordinal)) return ToolCallFormat.Hermes;
        if (rendered.Contains("[TOOL_CALLS]", StringComparison.Ordinal)) return ToolCallFormat.Mistral;
        if (rendered.Contains("<|python_tag|>", StringComparison.Ordinal)
            || (rendered.Contains("<|start_header_id|>", StringComparison.Ordinal) && rendered.Contains("\"parameters\"", StringComparison.Ordinal)))
            return ToolCallFormat.Llama3Json;
        return ToolCallFormat.GenericJson;
    }

    private static JsonObject SampleConversation() => new()
    {
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = "weather?" },
            new JsonObject
            {
                ["role"] = "assistant", ["content"] = "",
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = "abcDEF123" /* Mistral templates require 9 alphanumerics */, ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = "probe_tool", ["arguments"] = new JsonObject { ["x"] = 1 } },
                }),
            }),
        ["tools"] = new JsonArray(new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = "probe_tool", ["description"] = "probe", ["parameters"] = new JsonObject { ["type"] = "object" } },
        }),
        ["add_generation_prompt"] = false,
        ["bos_token"] = "",
        ["eos_token"] = "",
    };
}
