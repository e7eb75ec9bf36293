using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hearth.Router.Proxy;

/// <summary>Puts the router's model name back into upstream responses: an upstream answers with its own id
/// (<c>"model": "qwen2.5-0.5b-instruct-q4_k_m"</c>), the client asked for the router's name (<c>"default"</c>).
/// JSON bodies are rewritten whole; event streams line by line (lines may span chunks), each <c>data: {…}</c> event
/// whose top-level <c>model</c> is the upstream id gets the router's name. Anything else passes through unchanged.</summary>
internal sealed class ModelNameRewriter
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private readonly string _upstreamId;
    private readonly string _name;
    private readonly bool _stream;
    private readonly MemoryStream _pending = new();

    private ModelNameRewriter(string upstreamId, string name, bool stream)
    {
        _upstreamId = upstreamId;
        _name = name;
        _stream = stream;
    }

    /// <summary>A rewriter, or null when there is nothing to rewrite (same name, or a body that is not JSON or SSE).</summary>
    public static ModelNameRewriter? For(string? mediaType, string upstreamId, string name) =>
        upstreamId == name ? null
        : mediaType == "text/event-stream" ? new(upstreamId, name, stream: true)
        : mediaType is "application/json" ? new(upstreamId, name, stream: false)
        : null;

    /// <summary>Feeds upstream bytes; returns what may be sent now (complete events; nothing for a JSON body).</summary>
    public ReadOnlyMemory<byte> Feed(ReadOnlySpan<byte> chunk)
    {
        _pending.Write(chunk);
        if (!_stream) return ReadOnlyMemory<byte>.Empty;
        var buffered = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
        var end = buffered.LastIndexOf((byte)'\n');
        if (end < 0) return ReadOnlyMemory<byte>.Empty;
        var output = new MemoryStream(end + 64);
        foreach (var line in new LineEnumerable(buffered[..(end + 1)].ToArray()))
            output.Write(RewriteLine(line));
        var rest = buffered[(end + 1)..].ToArray();
        _pending.SetLength(0);
        _pending.Write(rest);
        return output.ToArray();
    }

    /// <summary>The bytes still held back at the end of the body.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        var rest = _pending.ToArray();
        _pending.SetLength(0);
        return _stream ? RewriteLine(rest) : RewriteJson(rest) ?? rest;
    }

    /// <summary>One SSE line including its '\n' (or the unterminated tail).</summary>
    private byte[] RewriteLine(byte[] line)
    {
        if (!line.AsSpan().StartsWith(DataPrefix)) return line;
        var body = line.AsSpan(DataPrefix.Length);
        var trimmed = body.TrimEnd("\r\n"u8);
        if (trimmed.Length == 0 || trimmed[0] != (byte)'{') return line;
        return RewriteJson(trimmed.ToArray()) is { } rewritten ? [.. DataPrefix, .. rewritten, .. body[trimmed.Length..]] : line;
    }

    private byte[]? RewriteJson(byte[] json)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o || o["model"] is not JsonValue v || !v.TryGetValue<string>(out var id) || id != _upstreamId)
                return null;
            o["model"] = _name;
            return Encoding.UTF8.GetBytes(o.ToJsonString(Compact));
        }
        catch (JsonException)
        {
            return null; // not ours to fix: pass it through as the upstream sent it
        }
    }

    /// <summary>Splits bytes after each '\n'.</summary>
    private readonly struct LineEnumerable(byte[] bytes)
    {
        public IEnumerator<byte[]> GetEnumerator()
        {
            var start = 0;
            for (var i = 0; i < bytes.Length; i++)
                if (bytes[i] == (byte)'\n')
                {
                    yield return bytes[start..(i + 1)];
                    start = i + 1;
                }
            if (start < bytes.Length) yield return bytes[start..];
        }
    }
}
