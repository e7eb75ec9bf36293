using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Encodings.Web;

namespace Hearth.Server.Anthropic;

/// <summary>A Messages API message object (the non-streaming answer, and the message of message_start).</summary>
/// Content blocks (text, thinking, tool_use) are JSON objects made by <see cref="AnthropicBlocks"/>.
public sealed record AnthropicMessage([property: JsonPropertyOrder(-3)] string Id, string Model, IReadOnlyList<JsonObject> Content, string? StopReason, string? StopSequence, AnthropicUsage Usage)
{
    [JsonPropertyOrder(-2)] public string Type => "message";
    [JsonPropertyOrder(-1)] public string Role => "assistant";
}

/// <summary>Content blocks and their deltas, in Anthropic's shapes.</summary>
public static class AnthropicBlocks
{
    public static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };
    public static JsonObject Thinking(string thinking) => new() { ["type"] = "thinking", ["thinking"] = thinking, ["signature"] = "" };

    /// <summary>A tool_use block; <paramref name="input"/> is the call's arguments (JSON text of an object).</summary>
    public static JsonObject ToolUse(string id, string name, JsonNode input) => new() { ["type"] = "tool_use", ["id"] = id, ["name"] = name, ["input"] = input };

    public static JsonObject TextDelta(string text) => new() { ["type"] = "text_delta", ["text"] = text };
    public static JsonObject ThinkingDelta(string thinking) => new() { ["type"] = "thinking_delta", ["thinking"] = thinking };
    public static JsonObject InputJsonDelta(string partialJson) => new() { ["type"] = "input_json_delta", ["partial_json"] = partialJson };
}

/// <summary>Token usage as Anthropic counts it: input_tokens excludes prompt tokens read from the (prefix) cache,
/// which are cache_read_input_tokens; Hearth never writes a cache on request, so cache_creation_input_tokens is 0.</summary>
public sealed record AnthropicUsage(int InputTokens, int OutputTokens, int CacheCreationInputTokens = 0, int CacheReadInputTokens = 0);

/// <summary>message_start.</summary>
public sealed record MessageStartEvent(AnthropicMessage Message) { [JsonPropertyOrder(-1)] public string Type => "message_start"; }

/// <summary>content_block_start.</summary>
public sealed record ContentBlockStartEvent(int Index, JsonObject ContentBlock) { [JsonPropertyOrder(-1)] public string Type => "content_block_start"; }

/// <summary>content_block_delta (text_delta, thinking_delta, input_json_delta).</summary>
public sealed record ContentBlockDeltaEvent(int Index, JsonObject Delta) { [JsonPropertyOrder(-1)] public string Type => "content_block_delta"; }

/// <summary>content_block_stop.</summary>
public sealed record ContentBlockStopEvent(int Index) { [JsonPropertyOrder(-1)] public string Type => "content_block_stop"; }

/// <summary>message_delta: why the message ended, and the final usage.</summary>
public sealed record MessageDeltaEvent(StopDelta Delta, AnthropicUsage Usage) { [JsonPropertyOrder(-1)] public string Type => "message_delta"; }

/// <summary>The delta of message_delta.</summary>
public sealed record StopDelta(string? StopReason, string? StopSequence);

/// <summary>A bare event with only a type (message_stop, ping).</summary>
public sealed record TypeOnlyEvent(string Type);

/// <summary>count_tokens' answer.</summary>
public sealed record TokenCount(int InputTokens);

/// <summary>Source-generated serializers for the Messages API shapes (snake_case, nulls written as Anthropic does).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AnthropicMessage))]
[JsonSerializable(typeof(MessageStartEvent))]
[JsonSerializable(typeof(ContentBlockStartEvent))]
[JsonSerializable(typeof(ContentBlockDeltaEvent))]
[JsonSerializable(typeof(ContentBlockStopEvent))]
[JsonSerializable(typeof(MessageDeltaEvent))]
[JsonSerializable(typeof(TypeOnlyEvent))]
[JsonSerializable(typeof(TokenCount))]
public sealed partial class AnthropicJsonContext : JsonSerializerContext
{
    /// <summary>The context with readable (non-HTML-escaped) text, as the API writes it.</summary>
    public static AnthropicJsonContext Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
