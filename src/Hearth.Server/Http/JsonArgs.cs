using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Http;

/// <summary>A request body as a JSON object, with typed getters that validate at the edge: a field of the wrong type
/// or out of range is a 400 naming the field. Unknown fields are ignored (clients send many).</summary>
public sealed class JsonArgs(JsonObject obj, string prefix = "")
{
    public JsonObject Object { get; } = obj;

    /// <summary>Reads and parses the request body: 413 for an oversized body, 400 (with what is wrong) for a body that
    /// is not UTF-8, has a lone surrogate escape or a duplicate key, nests too deep, is not JSON or not an object
    /// (see <see cref="JsonBodyCheck"/>).</summary>
    public static async Task<JsonArgs> ReadAsync(HttpContext ctx)
    {
        var limit = ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (limit is { } max && ctx.Request.ContentLength > max)
            throw new ApiException(413, $"request body too large (limit {max} bytes)", code: "request_too_large");
        using var body = new MemoryStream(ctx.Request.ContentLength is { } n and < 1 << 20 ? (int)n : 4096);
        await ctx.Request.Body.CopyToAsync(body, ctx.RequestAborted); // Kestrel stops an oversized body with a 413
        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        if (JsonBodyCheck.Problem(bytes) is { } problem) throw ApiException.BadRequest(problem, code: "invalid_json");
        var node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = JsonBodyCheck.MaxDepth });
        return node is JsonObject o ? new JsonArgs(o)
            : throw ApiException.BadRequest("the request body must be a JSON object", code: "invalid_json");
    }

    private string Name(string field) => prefix + field;

    private JsonNode? Get(string field) => Object.TryGetPropertyValue(field, out var v) ? v : null;

    public bool Has(string field) => Get(field) is not null;

    private ApiException Wrong(string field, string what) => ApiException.BadRequest($"'{Name(field)}' must be {what}", Name(field));

    public string? String(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        return v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Wrong(field, "a string");
    }

    public bool? Bool(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        return v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(field, "a boolean"),
        };
    }

    public double? Number(string field, double min = double.MinValue, double max = double.MaxValue)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.GetValueKind() != JsonValueKind.Number) throw Wrong(field, "a number");
        var d = v.GetValue<double>();
        if (double.IsNaN(d) || d < min || d > max) throw Wrong(field, $"between {min} and {max}");
        return d;
    }

    public long? Integer(string field, long min = long.MinValue, long max = long.MaxValue)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.GetValueKind() != JsonValueKind.Number) throw Wrong(field, "an integer");
        var d = v.GetValue<double>();
        if (d != Math.Floor(d)) throw Wrong(field, "an integer");
        if (d < min || d > max) throw Wrong(field, min == long.MinValue ? $"at most {max}" : max == long.MaxValue ? $"at least {min}" : $"between {min} and {max}");
        return (long)d;
    }

    public int? Int(string field, int min = int.MinValue, int max = int.MaxValue) => (int?)Integer(field, min, max);

    public JsonArray? Array(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        return v as JsonArray ?? throw Wrong(field, "an array");
    }

    public JsonArgs? Obj(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        return v is JsonObject o ? new JsonArgs(o, Name(field) + ".") : throw Wrong(field, "an object");
    }

    /// <summary>A string or an array of strings (OpenAI `stop`, Ollama `options.stop`).</summary>
    public IReadOnlyList<string>? StringOrArray(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.GetValueKind() == JsonValueKind.String) return [v.GetValue<string>()];
        if (v is not JsonArray a) throw Wrong(field, "a string or an array of strings");
        var list = new List<string>(a.Count);
        foreach (var item in a)
        {
            if (item is null || item.GetValueKind() != JsonValueKind.String) throw Wrong(field, "a string or an array of strings");
            list.Add(item.GetValue<string>());
        }
        return list;
    }
}
