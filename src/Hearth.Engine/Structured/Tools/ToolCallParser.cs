using System.Text.Json;

namespace Hearth.Engine.Structured.Tools;

/// <summary>Splits a finished answer into content and tool calls, for one <see cref="ToolCallFormat"/>. Text that
/// does not parse as a call stays content (a model may answer in prose).</summary>
public static class ToolCallParser
{
    public const string HermesOpen = "<tool_call>", HermesClose = "</tool_call>", MistralMarker = "[TOOL_CALLS]", PythonTag = "<|python_tag|>";

    public static ParsedAnswer Parse(ToolCallFormat format, string text) => format switch
    {
        ToolCallFormat.Hermes => Hermes(text),
        ToolCallFormat.Mistral => Mistral(text),
        _ => Json(text, format),
    };

    private static ParsedAnswer Hermes(string text)
    {
        var calls = new List<ToolCall>();
        var content = new System.Text.StringBuilder();
        int at = 0;
        while (true)
        {
            int open = text.IndexOf(HermesOpen, at, StringComparison.Ordinal);
            if (open < 0) break;
            int close = text.IndexOf(HermesClose, open, StringComparison.Ordinal);
            string body = close < 0 ? text[(open + HermesOpen.Length)..] : text[(open + HermesOpen.Length)..close];
            var call = Call(body);
            if (call is null) break;
            content.Append(text, at, open - at);
            calls.Add(call);
            at = close < 0 ? text.Length : close + HermesClose.Length;
        }
        content.Append(text, at, text.Length - at);
        return new ParsedAnswer(calls.Count > 0 ? content.ToString().Trim() : text, calls);
    }

    private static ParsedAnswer Mistral(string text)
    {
        int marker = text.IndexOf(MistralMarker, StringComparison.Ordinal);
        if (marker < 0) return new ParsedAnswer(text, []);
        var calls = Calls(text[(marker + MistralMarker.Length)..]);
        return calls is null ? new ParsedAnswer(text, []) : new ParsedAnswer(text[..marker].Trim(), calls);
    }

    private static ParsedAnswer Json(string text, ToolCallFormat format)
    {
        string body = text.TrimStart();
        if (body.StartsWith(PythonTag, StringComparison.Ordinal)) body = body[PythonTag.Length..];
        List<ToolCall>? calls = Calls(body);
        if (calls is null && format == ToolCallFormat.Llama3Json && body.Contains(';'))
        {
            // Llama 3 writes parallel calls as objects joined by ';' (a ';' inside a string is not a separator).
            calls = [];
            foreach (string part in TopLevelParts(body, ';'))
            {
                if (Call(part) is not { } c) { calls = null; break; }
                calls.Add(c);
            }
        }
        return calls is { Count: > 0 } ? new ParsedAnswer("", calls) : new ParsedAnswer(text, []);
    }

    /// <summary>One call object, an array of them, or {"tool_calls": [...]}; null when the text is not that.</summary>
    private static List<ToolCall>? Calls(string json)
    {
        using var doc = TryParse(json);
        if (doc is null) return null;
        var node = doc.RootElement;
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("tool_calls", out var wrapped) && wrapped.ValueKind == JsonValueKind.Array)
            node = wrapped;
        if (node.ValueKind == JsonValueKind.Object) return FromObject(node) is { } c ? [c] : null;
        if (node.ValueKind != JsonValueKind.Array || node.GetArrayLength() == 0) return null;
        var calls = new List<ToolCall>();
        foreach (var item in node.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || FromObject(item) is not { } c) return null;
            calls.Add(c);
        }
        return calls;
    }

    private static ToolCall? Call(string json)
    {
        using var doc = TryParse(json);
        return doc?.RootElement.ValueKind == JsonValueKind.Object ? FromObject(doc.RootElement) : null;
    }

    private static ToolCall? FromObject(JsonElement o)
    {
        if (o.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object) o = f; // {"type":"function","function":{...}}
        if (!o.TryGetProperty("name", out var nameNode) || nameNode.ValueKind != JsonValueKind.String) return null;
        string name = nameNode.GetString()!;
        if (name.Length == 0) return null;
        string arguments = (!o.TryGetProperty("arguments", out var args) && !o.TryGetProperty("parameters", out args)) || args.ValueKind == JsonValueKind.Null ? "{}"
            : args.ValueKind == JsonValueKind.String ? args.GetString()!
            // The value as the model wrote it, less insignificant whitespace: what streaming sends piece by piece.
            : ToolCallScanner.Minify(args.GetRawText());
        string id = o.TryGetProperty("id", out var idNode) && idNode.ValueKind == JsonValueKind.String && idNode.GetString()!.Length > 0
            ? idNode.GetString()! : ToolCall.NewId();
        return new ToolCall(id, name, arguments);
    }

    /// <summary>Splits at separators outside JSON strings, objects and arrays.</summary>
    private static IEnumerable<string> TopLevelParts(string text, char separator)
    {
        int depth = 0, start = 0;
        bool inString = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c is '{' or '[') depth++;
            else if (c is '}' or ']') depth--;
            else if (c == separator && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        if (start < text.Length && text[start..].Trim().Length > 0) yield return text[start..];
    }

    private static JsonDocument? TryParse(string json)
    {
        json = json.Trim();
        if (json.Length == 0 || (json[0] != '{' && json[0] != '[')) return null;
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null; // not a call: the text stays content
        }
    }
}
