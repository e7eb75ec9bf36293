using System.Text.Json;

namespace Hearth.Bench.Client;

/// <summary>What one SSE <c>data:</c> payload of an OpenAI stream says: whether it carries generated text,
/// usage figures, or an error.</summary>
internal readonly record struct SseChunk(bool HasContent, int? PromptTokens, int? CompletionTokens, string? Error)
{
    public static SseChunk Parse(string json, EndpointKind kind)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return default;
        if (root.TryGetProperty("error", out var err) && err.ValueKind != JsonValueKind.Null)
            return new SseChunk(false, null, null, ErrorText(err));

        bool content = false;
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (kind == EndpointKind.Completions)
                    content |= NonEmpty(choice, "text");
                else if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                    // Reasoning models stream their thinking in a separate field; it is still generated tokens.
                    content |= NonEmpty(delta, "content") || NonEmpty(delta, "reasoning_content") || NonEmpty(delta, "reasoning");
            }
        }
        int? prompt = null, completion = null;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            prompt = Int(usage, "prompt_tokens");
            completion = Int(usage, "completion_tokens");
        }
        return new SseChunk(content, prompt, completion, null);
    }

    private static bool NonEmpty(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 };

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static string ErrorText(JsonElement err) =>
        err.ValueKind == JsonValueKind.Object && err.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? "stream error: " + m.GetString()
            : "stream error: " + err.GetRawText();
}
