using System.Text.Json.Nodes;
using Hearth.Core.Gguf;

namespace Hearth.Core.Templates;

/// <summary>The chat template stored in a GGUF file and the special-token texts its rendering needs.</summary>
/// <param name="Source">The Jinja source (<c>tokenizer.chat_template</c>).</param>
/// <param name="BosToken">Text of <c>tokenizer.ggml.tokens[tokenizer.ggml.bos_token_id]</c>, or "" when absent.</param>
/// <param name="EosToken">Text of <c>tokenizer.ggml.tokens[tokenizer.ggml.eos_token_id]</c>, or "" when absent.</param>
public sealed record GgufChatTemplate(string Source, string BosToken, string EosToken)
{
    /// <summary>Metadata key of the default chat template.</summary>
    public const string MetadataKey = "tokenizer.chat_template";

    /// <summary>Reads the template and BOS/EOS texts; null when the file has no chat template.</summary>
    public static GgufChatTemplate? TryRead(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.GetString(MetadataKey) is not { } source) return null;
        var tokens = file.GetArray<string>("tokenizer.ggml.tokens");
        return new GgufChatTemplate(source, TokenText(file, tokens, "tokenizer.ggml.bos_token_id"), TokenText(file, tokens, "tokenizer.ggml.eos_token_id"));
    }

    private static string TokenText(GgufFile file, string[]? tokens, string key) =>
        file.GetInteger(key) is { } id && tokens is not null && id >= 0 && id < tokens.Length ? tokens[id] : "";

    /// <summary>The variables HF transformers passes: messages, add_generation_prompt, bos_token, eos_token and,
    /// when given, tools (left undefined otherwise, as llama.cpp does).</summary>
    public JsonObject CreateContext(JsonArray messages, bool addGenerationPrompt, JsonArray? tools = null)
    {
        var context = new JsonObject
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
        };
        if (tools is not null) context["tools"] = tools;
        return context;
    }
}
