using System.Text.Json;
using System.Text.Json.Nodes;

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
        var node = TryParse(json);
        if (node is JsonObject o && o["tool_calls"] is JsonArray wrapped) node = wrapped;
        if (node is JsonObject single) return FromObject(single) is { } c ? [c] : null;
        if (node is not JsonArray array || array.Count == 0) return null;
        var calls = new List<ToolCall>();
        foreach (var item in array)
        {
            if (item is not JsonObject io || FromObject(io) is not { } c) return null;
            calls.Add(c);
        }
        return calls;
    }

    private static ToolCall? Call(string json) => TryParse(json) is JsonObject o ? FromObject(o) : null;

    private static ToolCall? FromObject(JsonObject o)
    {
        if (o["function"] is JsonObject f) o = f; // {"type":"function","function":{...}}
        if (o["name"] is not JsonValue nameNode || nameNode.GetValueKind() != JsonValueKind.String) return null;
        string name = nameNode.GetValue<string>();
        if (name.Length == 0) return null;
        var args = o["arguments"] ?? o["parameters"];
        string arguments = args switch
        {
            null => "{}",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => args.ToJsonString(),
        };
        string id = o["id"] is JsonValue idNode && idNode.GetValueKind() == JsonValueKind.String && idNode.GetValue<string>().Length > 0
            ? idNode.GetValue<string>() : ToolCall.NewId();
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

    private static JsonNode? TryParse(string json)
    {
        json = json.Trim();
        if (json.Length == 0 || (json[0] != '{' && json[0] != '[')) return null;
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null; // not a call: the text stays content
        }
    }
}
