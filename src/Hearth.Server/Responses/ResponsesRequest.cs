using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Server.Generation;
using Hearth.Server.Http;

namespace Hearth.Server.Responses;

/// <summary>A parsed POST /v1/responses request: the <see cref="GenerationSpec"/> and what the response echoes or
/// stores.</summary>
/// <param name="Conversation">The previous response's conversation (previous_response_id) plus this input, without
/// instructions (OpenAI does not carry instructions over to a continuation).</param>
public sealed record ResponsesRequest(
    GenerationSpec Spec, string? Instructions, int? MaxOutputTokens, bool Store, string? PreviousResponseId,
    IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<ChatMessage> Conversation)
{
    /// <summary>Parses and validates; <paramref name="owner"/> is the caller's key id, which previous_response_id
    /// must belong to.</summary>
    public static ResponsesRequest Parse(JsonArgs a, ResponseStore store, string? owner)
    {
        var model = a.String("model");
        var instructions = a.String("instructions");
        var maxOutput = a.Int("max_output_tokens", 1);
        var previousId = a.String("previous_response_id");
        a.String("user");
        var conversation = new List<ChatMessage>();
        if (previousId is not null)
        {
            var previous = store.Find(previousId, owner)
                ?? throw new ApiException(404, $"Previous response with id '{previousId}' not found.", "previous_response_id", "not_found");
            conversation.AddRange(previous.Conversation);
        }
        conversation.AddRange(Input(a.Object["input"]));

        var messages = new List<ChatMessage>();
        if (instructions is not null) messages.Add(new ChatMessage("system", instructions, new JsonObject()));
        messages.AddRange(conversation);
        var sampling = new SamplingBuilder
        {
            MaxTokens = maxOutput,
            Temperature = (float?)a.Number("temperature", 0, 2),
            TopP = (float?)a.Number("top_p", 0, 1),
        };
        if (sampling.TopP == 0) throw ApiException.BadRequest("'top_p' must be greater than 0", "top_p");
        var spec = new GenerationSpec
        {
            Model = model,
            Prompt = new ChatPrompt(messages, "input"),
            Sampling = sampling,
            MaxTokensParam = "max_output_tokens",
            Stream = a.Bool("stream") ?? false,
            Tools = ResponsesTools.Tools(a),
            Output = Format(a.Obj("text")),
            // effort "none" turns thinking off; any other effort asks for it (a 400 on a model that cannot think).
            Reasoning = a.Obj("reasoning") is { } r && r.String("effort") is { } effort ? new ReasoningSettings("reasoning", effort != "none") : null,
        };
        return new ResponsesRequest(spec, instructions, maxOutput, a.Bool("store") ?? true, previousId, ParseMetadata(a.Obj("metadata")), conversation);
    }

    /// <summary>text.format: "text" asks for nothing; json_object and json_schema map to structured outputs.</summary>
    private static StructuredOutput? Format(JsonArgs? text)
    {
        var format = text?.Obj("format");
        var type = format?.String("type");
        return type switch
        {
            null or "text" => null,
            "json_object" => new StructuredOutput(Hearth.Engine.Structured.OutputConstraint.Json(), "text.format"),
            "json_schema" => new StructuredOutput(Hearth.Engine.Structured.OutputConstraint.Schema((format!.Obj("schema")?.Object
                ?? throw ApiException.BadRequest("'text.format.schema' is required for type \"json_schema\"", "text.format.schema")).ToJsonString()), "text.format"),
            _ => throw ApiException.BadRequest($"'text.format.type' must be \"text\", \"json_object\" or \"json_schema\", not \"{type}\"", "text.format.type"),
        };
    }

    private static Dictionary<string, string> ParseMetadata(JsonArgs? o)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (o is null) return result;
        foreach (var (key, _) in o.Object)
            result[key] = o.String(key) ?? "";
        if (result.Count > 16) throw ApiException.BadRequest("'metadata' may hold at most 16 keys", "metadata");
        return result;
    }

    /// <summary>input: a string (one user message) or an array of message items ({"role","content"}, optionally
    /// "type":"message"); content is a string or input_text/output_text parts; function_call and function_call_output
    /// items (<see cref="ResponsesTools"/>); reasoning items are dropped; images and files are refused.</summary>
    private static List<ChatMessage> Input(JsonNode? input)
    {
        if (input is null) throw ApiException.BadRequest("'input' is required", "input");
        if (input.GetValueKind() == JsonValueKind.String) return [new ChatMessage("user", input.GetValue<string>(), new JsonObject())];
        if (input is not JsonArray items) throw ApiException.BadRequest("'input' must be a string or an array of input items", "input");
        if (items.Count == 0) throw ApiException.BadRequest("'input' must contain at least one item", "input");
        var messages = new List<ChatMessage>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var field = $"input[{i}]";
            var item = items[i] as JsonObject ?? throw ApiException.BadRequest($"'{field}' must be an object", field);
            var args = new JsonArgs(item, field + ".");
            switch (args.String("type") ?? "message")
            {
                case "message":
                    break;
                case "function_call":
                    ResponsesTools.AddCall(messages, args, field);
                    continue;
                case "function_call_output":
                    messages.Add(ResponsesTools.Output(args, field));
                    continue;
                case "reasoning":
                    continue; // earlier thinking: templates drop it from the history
                case var other:
                    throw ApiException.BadRequest($"'{field}': input item type '{other}' is not supported", field + ".type");
            }
            var role = args.String("role");
            if (role is not ("user" or "assistant" or "system" or "developer"))
                throw ApiException.BadRequest($"'{field}.role' must be \"user\", \"assistant\", \"system\" or \"developer\"", field + ".role");
            // Chat templates know "system"; the Responses API's "developer" is the same turn.
            messages.Add(new ChatMessage(role == "developer" ? "system" : role, Content(item["content"], field + ".content"), new JsonObject()));
        }
        return messages;
    }

    private static string Content(JsonNode? node, string field)
    {
        if (node is null) throw ApiException.BadRequest($"'{field}' is required", field);
        if (node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        if (node is not JsonArray parts) throw ApiException.BadRequest($"'{field}' must be a string or an array of content parts", field);
        var sb = new StringBuilder();
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i] as JsonObject ?? throw ApiException.BadRequest($"'{field}[{i}]' must be an object", $"{field}[{i}]");
            var args = new JsonArgs(part, $"{field}[{i}].");
            var type = args.String("type");
            if (type is not ("input_text" or "output_text" or "text"))
                throw ApiException.BadRequest($"'{field}[{i}]': content type '{type}' is not supported (only input_text and output_text)", $"{field}[{i}].type");
            sb.Append(args.String("text") ?? throw ApiException.BadRequest($"'{field}[{i}].text' is required", $"{field}[{i}].text"));
        }
        return sb.ToString();
    }
}
