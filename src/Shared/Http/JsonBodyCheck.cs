using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Hearth.Http;

/// <summary>The byte-level checks every JSON request body passes before it is parsed (shared by the server and the
/// router): valid UTF-8, no lone surrogate escapes, no duplicate keys, bounded nesting, well-formed JSON. Each
/// failure is one sentence a client can act on, never a .NET exception message.</summary>
internal static class JsonBodyCheck
{
    /// <summary>Deepest nesting accepted (objects and arrays).</summary>
    public const int MaxDepth = 64;

    /// <summary>Null when <paramref name="utf8"/> is acceptable JSON, else why not.</summary>
    public static string? Problem(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return "the request body is empty; send a JSON object";
        if (!Utf8.IsValid(utf8)) return $"the request body is not valid UTF-8 (bad byte sequence at offset {FirstInvalidUtf8(utf8)})";
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        // One set of keys per open object; null marks an array level.
        var keys = new Stack<HashSet<string>?>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: keys.Push(new HashSet<string>(StringComparer.Ordinal)); break;
                    case JsonTokenType.StartArray: keys.Push(null); break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray: keys.Pop(); break;
                    case JsonTokenType.PropertyName:
                        if (Text(ref reader) is not { } name) return LoneSurrogate(reader);
                        if (!keys.Peek()!.Add(name)) return $"duplicate key \"{Shorten(name)}\" in the request body (at byte {reader.TokenStartIndex})";
                        break;
                    case JsonTokenType.String:
                        if (reader.ValueIsEscaped && Text(ref reader) is null) return LoneSurrogate(reader);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            return "the request body is not valid JSON: " + Describe(e);
        }
        return null;
    }

    private static string? Text(ref Utf8JsonReader reader)
    {
        try { return reader.GetString(); }
        catch (InvalidOperationException) { return null; } // an escape that decodes to an unpaired UTF-16 surrogate
    }

    private static string LoneSurrogate(in Utf8JsonReader reader) =>
        $"the request body has a string with an unpaired surrogate escape such as \"\\ud800\" (at byte {reader.TokenStartIndex}); it is not valid Unicode";

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";

    /// <summary>"'x' is an invalid start of a value. LineNumber: 0 | BytePositionInLine: 1." → "'x' is an invalid start of a value (line 1, byte 1)".</summary>
    private static string Describe(JsonException e)
    {
        var message = e.Message.Split('\n')[0];
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut].TrimEnd('.', ' ');
        return e.LineNumber is { } line && e.BytePositionInLine is { } pos ? $"{message} (line {line + 1}, byte {pos + 1})" : message;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        var offset = 0;
        while (offset < utf8.Length)
        {
            if (Rune.DecodeFromUtf8(utf8[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }
}
