using System.Text.Json.Nodes;
using Hearth.Engine.Structured.Text;

namespace Hearth.Engine.Structured.Json;

/// <summary>type: object. With <c>properties</c>: the declared properties in declared order, each required one
/// present, each optional one present or not; no undeclared ones (valid whatever additionalProperties says).
/// Without properties: any members, or a map whose values follow an additionalProperties schema.</summary>
internal static class JsonObjectSchema
{
    public static GrammarNode Node(JsonParts json, JsonObject s, string path, Func<JsonNode?, string, GrammarNode> schema)
    {
        var properties = s["properties"] as JsonObject ?? [];
        var required = (s["required"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToHashSet() ?? [];
        var names = properties.Select(p => p.Key).ToList();
        foreach (string r in required)
            if (!properties.ContainsKey(r)) names.Add(r); // required but undeclared: any value
        var additional = s["additionalProperties"];
        if (names.Count == 0)
        {
            if (additional is JsonValue v && v.TryGetValue(out bool allowed) && !allowed)
                return GrammarNode.Sequence(GrammarNode.Literal("{"), json.Ws, GrammarNode.Literal("}"));
            var valueNode = additional is JsonObject ? schema(additional, path + "/additionalProperties") : json.Value;
            return json.Object(GrammarNode.Sequence(json.String, json.Ws, GrammarNode.Literal(":"), json.Ws, valueNode, json.Ws));
        }

        var members = names.Select(n => GrammarNode.Sequence(
            JsonParts.Quoted(GrammarNode.Literal(JsonStringChars.EscapeText(n))), json.Ws, GrammarNode.Literal(":"), json.Ws,
            properties.TryGetPropertyValue(n, out var p) ? schema(p, $"{path}/properties/{n}") : json.Value, json.Ws)).ToList();
        var isRequired = names.Select(required.Contains).ToList();
        // rest(i, comma): members i.. where a comma comes first if something was written before.
        var rules = new Dictionary<(int, bool), GrammarNode>();
        GrammarNode Rest(int i, bool comma)
        {
            if (i == names.Count) return GrammarNode.Empty;
            if (rules.TryGetValue((i, comma), out var known)) return known;
            int rule = json.Builder.Rule($"{json.Prefix}{path}/members-{i}-{(comma ? "c" : "f")}");
            var reference = new GrammarNode.Ref(rule);
            rules[(i, comma)] = reference;
            var take = GrammarNode.Sequence(comma ? GrammarNode.Sequence(GrammarNode.Literal(","), json.Ws) : GrammarNode.Empty, members[i], Rest(i + 1, true));
            json.Builder.Define(rule, isRequired[i] ? take : GrammarNode.Choice(take, Rest(i + 1, comma)));
            return reference;
        }
        return GrammarNode.Sequence(GrammarNode.Literal("{"), json.Ws, Rest(0, false), GrammarNode.Literal("}"));
    }
}
