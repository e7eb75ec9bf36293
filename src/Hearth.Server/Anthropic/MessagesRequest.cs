using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Server.Generation;
using Hearth.Server.Http;

namespace Hearth.Server.Anthropic;

/// <summary>Parses an Anthropic Messages request (POST /v1/messages and /v1/messages/count_tokens) into a
/// <see cref="GenerationSpec"/>: system as a string or text blocks, user/assistant messages with string or text-block
/// content (and system messages, as the SDK's SystemMessageParam sends them), max_tokens (required for generation), stop_sequences, temperature, top_p, top_k, metadata, stream.
/// tools, tool_choice and tool_use/tool_result blocks (<see cref="AnthropicTools"/>), thinking; images and documents are refused.</summary>
public static class MessagesRequest
{
    public static GenerationSpec Parse(JsonArgs a, bool countOnly)
    {
        var model = a.String("model");
        if (string.IsNullOrEmpty(model)) throw ApiException.BadRequest("'model' is required", "model");
        var maxTokens = a.Int("max_tokens", 1);
        if (maxTokens is null && !countOnly) throw ApiException.BadRequest("'max_tokens' is required", "max_tokens");
        var stops = a.Array("stop_sequences") is { } s ? Stops(s) : null;
        var metadata = a.Obj("metadata");
        metadata?.String("user_id");

        var messages = new List<ChatMessage>();
        if (SystemText(a) is { } system) messages.Add(new ChatMessage("system", system, new JsonObject()));
        var raw = a.Array("messages") ?? throw ApiException.BadRequest("'messages' is required", "messages");
        if (raw.Count == 0) throw ApiException.BadRequest("'messages' must contain at least one message", "messages");
        for (var i = 0; i < raw.Count; i++)
        {
            var m = raw[i] as JsonObject ?? throw ApiException.BadRequest($"'messages[{i}]' must be an object", $"messages[{i}]");
            var args = new JsonArgs(m, $"messages[{i}].");
            var role = args.String("role");
            if (role is not ("user" or "assistant" or "system"))
                throw ApiException.BadRequest($"'messages[{i}].role' must be \"user\", \"assistant\" or \"system\"", $"messages[{i}].role");
            messages.AddRange(AnthropicTools.Messages(role, m["content"], $"messages[{i}].content"));
        }

        var sampling = new SamplingBuilder
        {
            MaxTokens = maxTokens,
            Temperature = (float?)a.Number("temperature", 0, 1),
            TopP = (float?)a.Number("top_p", 0, 1),
            TopK = a.Int("top_k", 0),
            Stop = stops,
        };
        if (sampling.TopP == 0) throw ApiException.BadRequest("'top_p' must be greater than 0", "top_p");
        return new GenerationSpec
        {
            Model = model,
            Prompt = new ChatPrompt(messages),
            Sampling = sampling,
            Stream = a.Bool("stream") ?? false,
            Tools = AnthropicTools.Tools(a),
            Reasoning = Thinking(a),
        };
    }

    private static List<string> Stops(JsonArray array)
    {
        var list = new List<string>(array.Count);
        foreach (var n in array)
        {
            if (n?.GetValueKind() != JsonValueKind.String || n.GetValue<string>().Length == 0)
                throw ApiException.BadRequest("'stop_sequences' must be an array of non-empty strings", "stop_sequences");
            list.Add(n.GetValue<string>());
        }
        return list;
    }

    /// <summary>thinking: {"type":"enabled","budget_tokens":N} asks for reasoning (a 400 on a model that cannot think;
    /// the budget is checked but thinking is bounded by max_tokens only); {"type":"disabled"} turns it off (the
    /// template's enable_thinking=false); absent: the model's default, its thinking not shown.</summary>
    private static ReasoningSettings? Thinking(JsonArgs a)
    {
        var t = a.Obj("thinking");
        var type = t?.String("type");
        return type switch
        {
            null => null,
            "disabled" => new ReasoningSettings("thinking", Enabled: false),
            "enabled" or "adaptive" => Enabled(t!),
            _ => throw ApiException.BadRequest($"'thinking.type' must be \"enabled\" or \"disabled\", not \"{type}\"", "thinking.type"),
        };
    }

    private static ReasoningSettings Enabled(JsonArgs thinking)
    {
        thinking.Int("budget_tokens", 1); // validated
        return new ReasoningSettings("thinking", Enabled: true);
    }

    private static string? SystemText(JsonArgs a) => a.Object["system"] is { } node ? Text(node, "system", required: false) : null;

    /// <summary>The system prompt as a string or an array of text blocks, joined.</summary>
    private static string? Text(JsonNode? node, string field, bool required)
    {
        if (node is null) return required ? throw ApiException.BadRequest($"'{field}' is required", field) : null;
        if (node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        if (node is not JsonArray blocks) throw ApiException.BadRequest($"'{field}' must be a string or an array of content blocks", field);
        var sb = new StringBuilder();
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i] as JsonObject ?? throw ApiException.BadRequest($"'{field}[{i}]' must be an object", $"{field}[{i}]");
            var args = new JsonArgs(block, $"{field}[{i}].");
            var type = args.String("type");
            switch (type)
            {
                case "text":
                    sb.Append(args.String("text") ?? throw ApiException.BadRequest($"'{field}[{i}].text' is required", $"{field}[{i}].text"));
                    break;
                default:
                    throw ApiException.BadRequest($"'{field}[{i}]': content block type '{type}' is not supported (only 'text')", $"{field}[{i}].type");
            }
        }
        return sb.ToString();
    }
}
