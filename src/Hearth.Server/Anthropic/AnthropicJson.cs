using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Encodings.Web;

namespace Hearth.Server.Anthropic;

/// <summary>A Messages API message object (the non-streaming answer, and the message of message_start).</summary>
public sealed record AnthropicMessage([property: JsonPropertyOrder(-3)] string Id, string Model, IReadOnlyList<AnthropicTextBlock> Content, string? StopReason, string? StopSequence, AnthropicUsage Usage)
{
    [JsonPropertyOrder(-2)] public string Type => "message";
    [JsonPropertyOrder(-1)] public string Role => "assistant";
}

/// <summary>A text content block.</summary>
public sealed record AnthropicTextBlock(string Text)
{
    [JsonPropertyOrder(-1)] public string Type => "text";
}

/// <summary>Token usage as Anthropic counts it: input_tokens excludes prompt tokens read from the (prefix) cache,
/// which are cache_read_input_tokens; Hearth never writes a cache on request, so cache_creation_input_tokens is 0.</summary>
public sealed record AnthropicUsage(int InputTokens, int OutputTokens, int CacheCreationInputTokens = 0, int CacheReadInputTokens = 0);

/// <summary>message_start.</summary>
public sealed record MessageStartEvent(AnthropicMessage Message) { [JsonPropertyOrder(-1)] public string Type => "message_start"; }

/// <summary>content_block_start.</summary>
public sealed record ContentBlockStartEvent(int Index, AnthropicTextBlock ContentBlock) { [JsonPropertyOrder(-1)] public string Type => "content_block_start"; }

/// <summary>content_block_delta with a text_delta.</summary>
public sealed record ContentBlockDeltaEvent(int Index, TextDelta Delta) { [JsonPropertyOrder(-1)] public string Type => "content_block_delta"; }

/// <summary>The delta of a text block.</summary>
public sealed record TextDelta(string Text) { [JsonPropertyOrder(-1)] public string Type => "text_delta"; }

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
