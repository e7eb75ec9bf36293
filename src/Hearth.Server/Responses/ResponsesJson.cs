using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Nodes;

namespace Hearth.Server.Responses;

/// <summary>An OpenAI Responses API response object (the non-streaming answer, GET /v1/responses/{id}, and the
/// `response` of the lifecycle events).</summary>
public sealed record ResponseObject(
    string Id, long CreatedAt, string Status, ResponseError? Error, IncompleteDetails? IncompleteDetails, string? Instructions,
    int? MaxOutputTokens, string Model, IReadOnlyList<JsonObject> Output, string? PreviousResponseId, bool Store,
    float Temperature, float TopP, TextSettings Text, ResponseUsage? Usage, IReadOnlyDictionary<string, string> Metadata)
{
    [JsonPropertyOrder(-1)] public string Object => "response";
    public bool ParallelToolCalls => true;
    public string ToolChoice => "auto";
    public string[] Tools => [];
    public string Truncation => "disabled";
}

/// <summary>Why a response is incomplete ("max_output_tokens").</summary>
public sealed record IncompleteDetails(string Reason);

/// <summary>A failed response's error.</summary>
public sealed record ResponseError(string Code, string Message);

/// <summary>text: the output format ({"format":{"type":"text"}}).</summary>
public sealed record TextSettings(TextFormat Format);

/// <summary>The output format's type.</summary>
public sealed record TextFormat(string Type);

/// <summary>An assistant message output item.</summary>
public sealed record OutputMessage(string Id, string Status, IReadOnlyList<OutputText> Content)
{
    [JsonPropertyOrder(-1)] public string Type => "message";
    public string Role => "assistant";
}

/// <summary>An output_text content part.</summary>
public sealed record OutputText(string Text)
{
    [JsonPropertyOrder(-1)] public string Type => "output_text";
    public string[] Annotations => [];
}

/// <summary>Usage: input (with cached) and output (with reasoning) tokens.</summary>
public sealed record ResponseUsage(int InputTokens, InputTokensDetails InputTokensDetails, int OutputTokens, OutputTokensDetails OutputTokensDetails, int TotalTokens);

/// <summary>Prompt tokens served from the prefix cache.</summary>
public sealed record InputTokensDetails(int CachedTokens);

/// <summary>Reasoning tokens (not counted apart: 0).</summary>
public sealed record OutputTokensDetails(int ReasoningTokens);

/// <summary>response.created / in_progress / completed / incomplete.</summary>
public sealed record ResponseLifecycleEvent(string Type, int SequenceNumber, ResponseObject Response);

/// <summary>response.output_item.added / done (items: message, reasoning, function_call — see <see cref="OutputItems"/>).</summary>
public sealed record OutputItemEvent(string Type, int SequenceNumber, int OutputIndex, JsonObject Item);

/// <summary>Output items other than messages, in the Responses API's shapes, and messages as JSON objects.</summary>
public static class OutputItems
{
    public static JsonObject Message(OutputMessage message) => JsonSerializer.SerializeToNode(message, ResponsesJsonContext.Api.OutputMessage)!.AsObject();

    /// <summary>A reasoning item with the thinking as reasoning_text content (as gpt-oss models return it).</summary>
    public static JsonObject Reasoning(string id, string text) => new()
    {
        ["type"] = "reasoning", ["id"] = id, ["summary"] = new JsonArray(),
        ["content"] = text.Length == 0 ? new JsonArray() : new JsonArray(new JsonObject { ["type"] = "reasoning_text", ["text"] = text }),
    };

    public static JsonObject FunctionCall(string id, string callId, string name, string arguments, string status) => new()
    {
        ["type"] = "function_call", ["id"] = id, ["call_id"] = callId, ["name"] = name, ["arguments"] = arguments, ["status"] = status,
    };
}

/// <summary>response.content_part.added / done.</summary>
public sealed record ContentPartEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, OutputText Part);

/// <summary>response.output_text.delta.</summary>
public sealed record TextDeltaEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, string Delta)
{
    public string[] Logprobs => [];
}

/// <summary>response.output_text.done.</summary>
public sealed record TextDoneEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, string Text)
{
    public string[] Logprobs => [];
}

/// <summary>An error inside a started stream.</summary>
public sealed record StreamErrorEvent(string Type, int SequenceNumber, string Code, string Message, string? Param);

/// <summary>DELETE /v1/responses/{id}'s answer.</summary>
public sealed record ResponseDeleted(string Id)
{
    public string Object => "response.deleted";
    public bool Deleted => true;
}

/// <summary>Source-generated serializers for the Responses API shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ResponseObject))]
[JsonSerializable(typeof(ResponseLifecycleEvent))]
[JsonSerializable(typeof(OutputItemEvent))]
[JsonSerializable(typeof(ContentPartEvent))]
[JsonSerializable(typeof(TextDeltaEvent))]
[JsonSerializable(typeof(TextDoneEvent))]
[JsonSerializable(typeof(StreamErrorEvent))]
[JsonSerializable(typeof(ResponseDeleted))]
[JsonSerializable(typeof(OutputMessage))]
public sealed partial class ResponsesJsonContext : JsonSerializerContext
{
    /// <summary>The context with readable (non-HTML-escaped) text, as the API writes it.</summary>
    public static ResponsesJsonContext Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
