using System.Text.Json.Nodes;

namespace Hearth.Core.Templates;

/// <summary>A chat template (the Jinja source stored in a GGUF's tokenizer.chat_template, or a fallback).</summary>
public interface IChatTemplate
{
    /// <summary>Renders the template. <paramref name="context"/> holds the template's variables as HF transformers
    /// passes them: "messages" (array of {role, content, tool_calls…}), "add_generation_prompt" (bool),
    /// "bos_token", "eos_token", optionally "tools" and any extra variables. Object key order is preserved
    /// (tojson writes keys in the given order).</summary>
    string Render(JsonObject context);
}
