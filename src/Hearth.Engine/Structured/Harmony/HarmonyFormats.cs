using System.Text.Json.Nodes;
using Hearth.Core.Templates;

namespace Hearth.Engine.Structured.Harmony;

/// <summary>Detects models that answer in OpenAI's harmony format (gpt-oss) from their chat template, by what it
/// renders: an assistant turn written on a channel (<c>&lt;|channel|&gt;</c>) and a generation prompt that opens an
/// assistant message with <c>&lt;|start|&gt;assistant</c>.</summary>
public static class HarmonyFormats
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IChatTemplate, object> Detected = new();

    /// <summary>Whether the template is harmony's (detected once per template instance).</summary>
    public static bool Detect(IChatTemplate? template) =>
        template is not null && (bool)Detected.GetValue(template, t => Probe(t));

    private static bool Probe(IChatTemplate template)
    {
        var context = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "hello" },
                new JsonObject { ["role"] = "assistant", ["content"] = "hi" },
                new JsonObject { ["role"] = "user", ["content"] = "again" }),
            ["add_generation_prompt"] = true, ["bos_token"] = "", ["eos_token"] = "",
        };
        try
        {
            string rendered = template.Render(context);
            return rendered.Contains(HarmonyParser.Channel, StringComparison.Ordinal)
                && rendered.TrimEnd().EndsWith(HarmonyParser.Start + "assistant", StringComparison.Ordinal);
        }
        catch (TemplateException)
        {
            return false; // a template that cannot render the probe is not harmony's
        }
    }
}
