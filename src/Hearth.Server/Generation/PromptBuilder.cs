using System.Text.Json.Nodes;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Structured.Reasoning;
using Hearth.Server.Http;
using Hearth.Store.Hosting;

namespace Hearth.Server.Generation;

/// <summary>One chat message after validation: role, text content, and the original object (tool_calls, name …
/// are passed through to the template).</summary>
public sealed record ChatMessage(string Role, string Content, JsonObject Extra);

/// <summary>Turns chats and prompts into prompt tokens for a model.</summary>
public static class PromptBuilder
{
    /// <summary>Renders a chat with the model's template (add_generation_prompt=true) and tokenizes it with control
    /// tokens parsed. Without a template (e.g. the embedded TinyStories model) the fallback is a plain completion:
    /// the message contents joined with "\n".</summary>
    public static int[] Chat(LoadedModel model, IReadOnlyList<ChatMessage> messages, PromptOptions? options = null)
    {
        var all = WithSystem(model, messages);
        if (model.ChatTemplate is null)
            return Encode(model.Tokenizer, string.Join("\n", all.Select(m => m.Content)));
        return Encode(model.Tokenizer, Render(model, all, options ?? PromptOptions.None, generationPrompt: true));
    }

    /// <summary>Whether the generation prompt (what the template adds for add_generation_prompt) leaves the model
    /// inside a thinking block: the text the template renders with it, less the text without it.</summary>
    public static bool? OpensThinking(LoadedModel model, IReadOnlyList<ChatMessage> messages, PromptOptions options, ReasoningFormat format)
    {
        if (model.ChatTemplate is null) return null;
        var all = WithSystem(model, messages);
        string with = Render(model, all, options, generationPrompt: true);
        string? without;
        try
        {
            without = Render(model, all, options, generationPrompt: false);
        }
        catch (ApiException)
        {
            without = null; // a template that insists on the generation prompt: judge the whole text
        }
        return format.IsOpenAtEnd(without is not null && with.StartsWith(without, StringComparison.Ordinal) ? with[without.Length..] : with);
    }

    private static IReadOnlyList<ChatMessage> WithSystem(LoadedModel model, IReadOnlyList<ChatMessage> messages) =>
        model.SystemPrompt is { } system && !messages.Any(m => m.Role == "system")
            ? [new ChatMessage("system", system, new JsonObject()), .. messages]
            : messages;

    private static string Render(LoadedModel model, IReadOnlyList<ChatMessage> all, PromptOptions options, bool generationPrompt)
    {
        var array = new JsonArray();
        foreach (var m in all) array.Add((JsonNode)TemplateMessage(m));
        var tok = model.Tokenizer;
        var context = new JsonObject
        {
            ["messages"] = array,
            ["add_generation_prompt"] = generationPrompt,
            ["bos_token"] = tok.BosId is { } b ? tok.TokenText(b) : "",
            ["eos_token"] = tok.EosId is { } e ? tok.TokenText(e) : "",
        };
        if (options.TemplateArgs is { } extra)
            foreach (var (k, v) in extra)
                if (k is not "messages" and not "add_generation_prompt") context[k] = v?.DeepClone();
        if (options.Tools is not null) context["tools"] = options.Tools.DeepClone();
        try
        {
            return model.ChatTemplate!.Render(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Templates raise on chats they cannot format (e.g. "roles must alternate"): the request's fault.
            throw ApiException.BadRequest("the model's chat template rejected the messages: " + ex.Message, "messages");
        }
    }

    /// <summary>A message as templates expect it (HF transformers / vLLM conventions): an assistant turn that only
    /// calls tools has content null (DeepSeek's template tests `content is none`), and each call's arguments are
    /// an object, not the JSON text OpenAI clients send (Llama 3.1, Qwen and Hermes templates apply tojson to
    /// them). Tool results (role "tool", tool_call_id, name) pass through as they are.</summary>
    private static JsonObject TemplateMessage(ChatMessage m)
    {
        bool callsOnly = m.Role == "assistant" && m.Extra["tool_calls"] is JsonArray { Count: > 0 } && m.Content.Length == 0;
        var o = new JsonObject { ["role"] = m.Role, ["content"] = callsOnly ? null : m.Content };
        foreach (var (k, v) in m.Extra)
            if (k is not "role" and not "content") o[k] = v?.DeepClone();
        if (o["tool_calls"] is JsonArray calls)
            foreach (var call in calls)
                if (call?["function"] is JsonObject f && f["arguments"] is JsonValue a && a.GetValueKind() == System.Text.Json.JsonValueKind.String
                    && TryParseObject(a.GetValue<string>()) is { } args)
                    f["arguments"] = args;
        return o;
    }

    private static JsonObject? TryParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // not JSON: the template gets the text as the client sent it
        }
    }

    /// <summary>Tokenizes text with control tokens parsed and BOS added once: templates usually write BOS
    /// themselves, so BOS is prepended only when the text does not already start with it.</summary>
    public static int[] Encode(ITokenizer tokenizer, string text)
    {
        var ids = tokenizer.Encode(text, addSpecial: false, parseSpecial: true);
        if (tokenizer.AddBos && tokenizer.BosId is { } bos && (ids.Length == 0 || ids[0] != bos))
            return [bos, .. ids];
        return ids;
    }

    /// <summary>Validates OpenAI/Ollama message objects: role (string) and content (string, null, or an array of
    /// {"type":"text","text":…} parts). Images are refused (no vision models yet).</summary>
    public static List<ChatMessage> ParseMessages(JsonArray? messages)
    {
        if (messages is null) throw ApiException.BadRequest("'messages' is required", "messages");
        if (messages.Count == 0) throw ApiException.BadRequest("'messages' must contain at least one message", "messages");
        var list = new List<ChatMessage>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject o) throw ApiException.BadRequest($"'messages[{i}]' must be an object", $"messages[{i}]");
            var args = new JsonArgs(o, $"messages[{i}].");
            var role = args.String("role") ?? throw ApiException.BadRequest($"'messages[{i}].role' is required", $"messages[{i}].role");
            if (args.Array("images") is { Count: > 0 })
                throw ApiException.BadRequest("images are not supported by this server", $"messages[{i}].images");
            list.Add(new ChatMessage(role, Content(o, i), o));
        }
        return list;
    }

    private static string Content(JsonObject o, int i)
    {
        var v = o["content"];
        if (v is null) return "";
        if (v.GetValueKind() == System.Text.Json.JsonValueKind.String) return v.GetValue<string>();
        if (v is not JsonArray parts) throw ApiException.BadRequest($"'messages[{i}].content' must be a string or an array of content parts", $"messages[{i}].content");
        var sb = new System.Text.StringBuilder();
        foreach (var part in parts)
        {
            var p = part as JsonObject ?? throw ApiException.BadRequest($"'messages[{i}].content' parts must be objects", $"messages[{i}].content");
            var type = new JsonArgs(p).String("type");
            if (type != "text") throw ApiException.BadRequest($"content part type '{type}' is not supported (only 'text')", $"messages[{i}].content");
            sb.Append(new JsonArgs(p, $"messages[{i}].content.").String("text") ?? "");
        }
        return sb.ToString();
    }
}
