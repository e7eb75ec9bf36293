using System.Text.Json;

namespace Hearth.Router.Proxy;

/// <summary>Watches response bytes as they are forwarded and extracts <c>usage</c> (prompt/completion tokens):
/// from the whole body for JSON responses, from the last SSE <c>data:</c> event carrying a non-null usage for streams.</summary>
public sealed class UsageScanner(bool sse)
{
    private const int MaxJsonBytes = 4 << 20;
    private static readonly byte[] UsageMarker = "\"usage\""u8.ToArray();
    private readonly MemoryStream _buffer = new();
    private bool _overflow;

    public int? PromptTokens { get; private set; }
    public int? CompletionTokens { get; private set; }

    /// <summary>True once a stream's usage event has been read (JSON bodies report usage only at <see cref="Complete"/>).</summary>
    public bool HasUsage => sse && PromptTokens is not null;

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        if (!sse)
        {
            if (_buffer.Length + chunk.Length > MaxJsonBytes) { _overflow = true; return; }
            _buffer.Write(chunk);
            return;
        }
        // SSE: keep only the unfinished line between chunks; parse complete lines that mention usage.
        while (!chunk.IsEmpty)
        {
            var nl = chunk.IndexOf((byte)'\n');
            if (nl < 0)
            {
                if (_buffer.Length + chunk.Length <= MaxJsonBytes) _buffer.Write(chunk);
                return;
            }
            ReadOnlySpan<byte> line;
            if (_buffer.Length > 0)
            {
                _buffer.Write(chunk[..nl]);
                line = _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length);
            }
            else line = chunk[..nl];
            ScanLine(line);
            _buffer.SetLength(0);
            chunk = chunk[(nl + 1)..];
        }
    }

    /// <summary>Call at end of stream (JSON: parses the buffered body).</summary>
    public void Complete()
    {
        if (sse) { if (_buffer.Length > 0) ScanLine(_buffer.GetBuffer().AsSpan(0, (int)_buffer.Length)); return; }
        if (_overflow || _buffer.Length == 0) return;
        ReadUsage(_buffer.GetBuffer().AsSpan(0, (int)_buffer.Length));
    }

    private void ScanLine(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith("data:"u8) || line.IndexOf(UsageMarker) < 0) return;
        var payload = line[5..].Trim((byte)' ').TrimEnd((byte)'\r');
        if (payload.IsEmpty || payload[0] != (byte)'{') return;
        ReadUsage(payload);
    }

    private void ReadUsage(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object) return;
            if (u.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt32(out var pi)) PromptTokens = pi;
            if (u.TryGetProperty("completion_tokens", out var c) && c.TryGetInt32(out var ci)) CompletionTokens = ci;
            else if (PromptTokens is not null) CompletionTokens ??= 0; // embeddings report only prompt/total tokens
        }
        catch (JsonException)
        {
            // A body that is not JSON (or a malformed event) carries no usage; the bytes were forwarded unchanged regardless.
        }
    }
}
