using System.Text.Json;

namespace Hearth.Router.Proxy;

/// <summary>Decides when a streamed (SSE) answer has produced output, so the router can hold the client's status
/// and headers until then: an upstream that dies after its headers, a keep-alive comment or an empty role chunk,
/// but before its first token, has sent the client nothing, and the request is retried on another replica instead
/// of being lost. Output is any <c>data:</c> event with a non-empty content, text, reasoning or tool-call delta, an
/// error, a usage-only event, <c>[DONE]</c>, or anything that is not OpenAI-shaped JSON (never held back).</summary>
public sealed class FirstTokenGate
{
    /// <summary>Beyond this many held bytes the answer is let through regardless.</summary>
    public const int MaxHeldBytes = 1 << 20;

    private readonly MemoryStream _line = new();
    private long _seen;

    public bool Open { get; private set; }

    /// <summary>Looks at the next bytes of the stream; true once output has been seen (and from then on).</summary>
    public bool Feed(ReadOnlySpan<byte> chunk)
    {
        _seen += chunk.Length;
        if (Open || _seen > MaxHeldBytes) return Open = true;
        while (!chunk.IsEmpty && !Open)
        {
            var nl = chunk.IndexOf((byte)'\n');
            if (nl < 0)
            {
                _line.Write(chunk);
                break;
            }
            _line.Write(chunk[..nl]);
            Open = IsOutput(_line.GetBuffer().AsSpan(0, (int)_line.Length));
            _line.SetLength(0);
            chunk = chunk[(nl + 1)..];
        }
        return Open;
    }

    private static bool IsOutput(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd((byte)'\r');
        if (!line.StartsWith("data:"u8)) return false; // comments, event names, ids, blank separators
        var payload = line[5..].Trim((byte)' ');
        if (payload.IsEmpty) return false;
        if (payload.SequenceEqual("[DONE]"u8)) return true;
        try
        {
            using var doc = JsonDocument.Parse(payload.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
                return true;
            if (choices.GetArrayLength() == 0) return true; // the usage-only chunk at the end
            foreach (var choice in choices.EnumerateArray())
            {
                if (NonEmpty(choice, "text") || choice.TryGetProperty("finish_reason", out var fr) && fr.ValueKind == JsonValueKind.String) return true;
                if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                    && (NonEmpty(delta, "content") || NonEmpty(delta, "reasoning_content") || delta.TryGetProperty("tool_calls", out _) || delta.TryGetProperty("function_call", out _)))
                    return true;
            }
            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private static bool NonEmpty(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0;
}
