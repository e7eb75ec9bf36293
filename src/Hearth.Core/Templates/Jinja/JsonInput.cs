using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Converts System.Text.Json nodes into template values the way Python's json.loads would
/// (numbers with a fraction or exponent become float, others int; object key order kept).</summary>
internal static class JsonInput
{
    public static object? ToValue(JsonNode? node)
    {
        switch (node)
        {
            case null: return null;
            case JsonObject o:
                var d = new PyDict();
                foreach (var kv in o) d.Set(kv.Key, ToValue(kv.Value));
                return d;
            case JsonArray a:
                var list = new List<object?>(a.Count);
                foreach (var item in a) list.Add(ToValue(item));
                return list;
            case JsonValue v: return Scalar(v);
            default: throw new ArgumentException($"unsupported JSON node {node.GetType().Name}");
        }
    }

    private static object? Scalar(JsonValue v)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String: return v.GetValue<string>();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Null or JsonValueKind.Undefined: return null;
            case JsonValueKind.Number:
                if (v.TryGetValue<JsonElement>(out var el)) return Number(el.GetRawText());
                if (v.TryGetValue<long>(out var l)) return l;
                if (v.TryGetValue<int>(out var i)) return (long)i;
                if (v.TryGetValue<double>(out var dbl)) return dbl;
                if (v.TryGetValue<float>(out var f)) return (double)f;
                if (v.TryGetValue<decimal>(out var m)) return (double)m;
                return Number(v.ToJsonString());
            default: throw new ArgumentException($"unsupported JSON value kind {v.GetValueKind()}");
        }
    }

    private static object Number(string raw)
    {
        if (raw.AsSpan().IndexOfAny(".eE") < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return l;
        return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
