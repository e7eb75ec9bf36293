using System.Text.Json.Nodes;

namespace Hearth.Engine.Structured.Json;

/// <summary>type: array — <c>prefixItems</c> (or draft-4 tuple <c>items</c>) first, then <c>items</c> /
/// <c>additionalItems</c> for the rest (false: none), with minItems/maxItems over the whole array.</summary>
internal static class JsonArraySchema
{
    public static GrammarNode Node(JsonParts json, JsonObject s, string path, Func<JsonNode?, string, GrammarNode> schema)
    {
        int min = (int)(s["minItems"]?.GetValue<double>() ?? 0);
        int? max = s["maxItems"] is { } m ? (int)m.GetValue<double>() : null;
        if (min < 0 || max < min) throw new GrammarException($"minItems/maxItems at {path} describe no array", "maxItems", path);
        if (Math.Max(min, max ?? 0) > 10_000) throw new GrammarException($"minItems/maxItems at {path} are too large (at most 10000)", "maxItems", path);

        var prefix = s["prefixItems"] as JsonArray;
        JsonNode? rest = s["items"];
        if (rest is JsonArray tuple)
        {
            prefix = tuple;
            rest = s["additionalItems"];
        }
        bool restForbidden = rest is JsonValue v && v.TryGetValue(out bool ok) && !ok;
        GrammarNode item(GrammarNode value) => GrammarNode.Sequence(value, json.Ws);
        var restItem = restForbidden ? null : item(rest is null ? json.Value : schema(rest, path + "/items"));
        if (prefix is null || prefix.Count == 0)
        {
            if (restItem is null) return json.Array(GrammarNode.Empty, 0, 0);
            return json.Array(restItem, min, max);
        }

        // Tuple: the first k items follow prefixItems[k]; an array may stop after any prefix once min is met.
        int n = prefix.Count;
        int cap = max ?? int.MaxValue;
        var items = new List<GrammarNode>();
        for (int i = 0; i < n; i++) items.Add(item(schema(prefix[i], $"{path}/prefixItems/{i}")));
        GrammarNode Tail(int i)
        {
            // Items from index i on (i ≥ 1, so a comma leads).
            GrammarNode next;
            if (i < n) next = GrammarNode.Sequence(GrammarNode.Literal(","), json.Ws, items[i], Tail(i + 1));
            else if (restItem is null || i >= cap) return GrammarNode.Empty;
            else
            {
                int minMore = Math.Max(0, min - i);
                int? maxMore = max is int mx ? mx - i : null;
                return GrammarNode.Times(GrammarNode.Sequence(GrammarNode.Literal(","), json.Ws, restItem), minMore, maxMore);
            }
            if (i >= cap) return GrammarNode.Empty;
            return i >= min ? GrammarNode.Optional(next) : next;
        }
        if (min > n && restItem is null) throw new GrammarException($"minItems {min} at {path} exceeds prefixItems with items: false", "minItems", path);
        var body = GrammarNode.Sequence(items[0], Tail(1));
        var content = min == 0 && cap > 0 ? GrammarNode.Optional(body) : cap == 0 ? GrammarNode.Empty : body;
        return GrammarNode.Sequence(GrammarNode.Literal("["), json.Ws, content, GrammarNode.Literal("]"));
    }
}
