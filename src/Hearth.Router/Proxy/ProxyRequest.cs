using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Http;

namespace Hearth.Router.Proxy;

/// <summary>A parsed client request body: the requested model, whether it streams, the text used for prefix
/// affinity, and a per-upstream rewrite (model id swapped, usage requested on streams).</summary>
public sealed class ProxyRequest
{
    private readonly JsonObject _body;
    private readonly Dictionary<string, byte[]> _rewritten = new(StringComparer.Ordinal);

    private ProxyRequest(JsonObject body, string model, bool stream)
    {
        _body = body;
        Model = model;
        Stream = stream;
    }

    public string Model { get; }
    public bool Stream { get; }

    /// <summary>Parses a JSON request body; returns an error message for the client when it is unusable.</summary>
    public static ProxyRequest? TryParse(ReadOnlySpan<byte> utf8, out string? error)
    {
        error = JsonBodyCheck.Problem(utf8);
        if (error is not null) return null;
        var node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = JsonBodyCheck.MaxDepth });
        if (node is not JsonObject obj) { error = "request body must be a JSON object"; return null; }
        if (obj["model"] is not JsonValue mv || !mv.TryGetValue<string>(out var model) || string.IsNullOrEmpty(model))
        {
            error = "'model' is required and must be a string";
            return null;
        }
        var stream = obj["stream"] is JsonValue sv && sv.TryGetValue<bool>(out var s) && s;
        return new ProxyRequest(obj, model, stream);
    }

    /// <summary>The leading <paramref name="maxChars"/> characters of the prompt, or of the messages' contents in order
    /// (role-tagged, so "system: X" and "user: X" differ).</summary>
    public string PrefixKey(int maxChars)
    {
        var sb = new StringBuilder();
        switch (_body["prompt"])
        {
            case JsonValue v when v.TryGetValue<string>(out var p): sb.Append(p); break;
            case JsonArray a when a.Count > 0 && a[0] is JsonValue v0 && v0.TryGetValue<string>(out var p0): sb.Append(p0); break;
        }
        if (_body["messages"] is JsonArray messages)
            foreach (var m in messages)
            {
                if (sb.Length >= maxChars) break;
                if (m is not JsonObject mo) continue;
                sb.Append(mo["role"] is JsonValue r && r.TryGetValue<string>(out var role) ? role : "").Append(": ");
                switch (mo["content"])
                {
                    case JsonValue c when c.TryGetValue<string>(out var text): sb.Append(text); break;
                    case JsonArray parts:
                        foreach (var part in parts)
                            if (part is JsonObject po && po["text"] is JsonValue t && t.TryGetValue<string>(out var pt)) sb.Append(pt);
                        break;
                }
                sb.Append('\n');
            }
        if (_body["input"] is JsonValue iv && iv.TryGetValue<string>(out var input)) sb.Append(input);
        return sb.Length > maxChars ? sb.ToString(0, maxChars) : sb.ToString();
    }

    /// <summary>The body to send upstream: <c>model</c> replaced by the upstream's id and, when
    /// <paramref name="includeUsage"/> and the client streams without stream_options, include_usage added.</summary>
    public byte[] BodyFor(string upstreamModel, bool includeUsage)
    {
        lock (_rewritten)
        {
            if (_rewritten.TryGetValue(upstreamModel, out var cached)) return cached;
            _body["model"] = upstreamModel;
            if (includeUsage && Stream && _body["stream_options"] is null)
                _body["stream_options"] = new JsonObject { ["include_usage"] = true };
            var bytes = System.Text.Encoding.UTF8.GetBytes(_body.ToJsonString());
            _rewritten[upstreamModel] = bytes;
            return bytes;
        }
    }
}
