using System.Text.Json;

namespace Hearth.Bench.Workloads;

/// <summary>Reads a ShareGPT-format JSON file: an array of objects with a "conversations" array of
/// {"from": "human"|"gpt", "value": text}. Keeps conversations whose first turn is the human's and second the
/// model's, both non-empty.</summary>
public static class ShareGptReader
{
    public static IReadOnlyList<(string Prompt, string Reply)> Read(string path)
    {
        using var stream = File.OpenRead(path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(stream); }
        catch (JsonException e) { throw new FormatException($"--dataset {path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException($"--dataset {path}: expected a JSON array of conversations (ShareGPT format)");
            var result = new List<(string, string)>();
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("conversations", out var conv)
                    || conv.ValueKind != JsonValueKind.Array || conv.GetArrayLength() < 2)
                    continue;
                var (from0, text0) = Turn(conv[0]);
                var (from1, text1) = Turn(conv[1]);
                if (from0 is "human" or "user" && from1 is "gpt" or "assistant"
                    && !string.IsNullOrWhiteSpace(text0) && !string.IsNullOrWhiteSpace(text1))
                    result.Add((text0!, text1!));
            }
            if (result.Count == 0)
                throw new FormatException($"--dataset {path}: no conversation with a human turn followed by a gpt turn");
            return result;
        }
    }

    private static (string? From, string? Text) Turn(JsonElement turn) =>
        turn.ValueKind == JsonValueKind.Object
            ? (Str(turn, "from"), Str(turn, "value"))
            : (null, null);

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
