using System.Text.Json.Nodes;

namespace Hearth.Engine.Structured.Json;

/// <summary>Intersects schemas for <c>allOf</c> (and for siblings of <c>anyOf</c>/<c>$ref</c>): properties are
/// merged (a property in both becomes the allOf of its two schemas), required lists are united, bounds take the
/// tighter side, additionalProperties:false wins; anything else that differs cannot be merged and is refused.</summary>
internal static class SchemaMerge
{
    private static readonly HashSet<string> AnnotationKeys = ["title", "description", "default", "examples", "$comment", "$schema", "$id", "$defs", "definitions", "deprecated", "readOnly", "writeOnly"];

    public static JsonObject Without(JsonObject s, params string[] keys)
    {
        var copy = new JsonObject();
        foreach (var (k, v) in s)
            if (!keys.Contains(k)) copy[k] = v?.DeepClone();
        return copy;
    }

    public static bool HasConstraints(JsonObject s) => s.Any(kv => !AnnotationKeys.Contains(kv.Key));

    public static JsonNode AllOf(JsonObject s, JsonArray all, Func<JsonNode?, JsonNode?> resolve, string path)
    {
        JsonNode merged = Without(s, "allOf");
        foreach (var part in all) merged = Both(merged, resolve(part), path);
        return merged;
    }

    public static JsonNode Both(JsonNode? a, JsonNode? b, string path)
    {
        if (a is JsonValue av && av.TryGetValue(out bool at)) return at ? b?.DeepClone() ?? new JsonObject() : a.DeepClone();
        if (b is JsonValue bv && bv.TryGetValue(out bool bt)) return bt ? a?.DeepClone() ?? new JsonObject() : b.DeepClone();
        if (a is not JsonObject x || b is not JsonObject y) throw new GrammarException($"allOf at {path}: subschemas must be objects", "allOf", path);
        var allowed = AllowedNames(x, y);
        var r = (JsonObject)x.DeepClone();
        foreach (var (k, v) in y)
        {
            if (!r.TryGetPropertyValue(k, out var mine) || AnnotationKeys.Contains(k))
            {
                r[k] = v?.DeepClone();
                continue;
            }
            r[k] = k switch
            {
                "properties" => MergeProperties((JsonObject)mine!, (JsonObject)v!, path),
                "required" => new JsonArray([.. ((JsonArray)mine!).Concat((JsonArray)v!).Select(n => n!.GetValue<string>()).Distinct().Select(n => (JsonNode)n)]),
                "minimum" or "exclusiveMinimum" or "minLength" or "minItems" => Math.Max(mine!.GetValue<double>(), v!.GetValue<double>()),
                "maximum" or "exclusiveMaximum" or "maxLength" or "maxItems" => Math.Min(mine!.GetValue<double>(), v!.GetValue<double>()),
                "additionalProperties" when IsFalse(mine) || IsFalse(v) => false,
                _ when JsonNode.DeepEquals(mine, v) => mine!.DeepClone(),
                _ => throw new GrammarException($"allOf at {path}: '{k}' differs between subschemas and cannot be merged", "allOf", path),
            };
        }
        if (allowed is not null) Restrict(r, allowed, path);
        return r;
    }

    /// <summary>additionalProperties:false on either side limits the merged object to that side's declared names
    /// (JSON Schema applies each subschema on its own: the other side's properties are "additional" to it).</summary>
    private static HashSet<string>? AllowedNames(JsonObject x, JsonObject y)
    {
        HashSet<string>? allowed = null;
        foreach (var side in (ReadOnlySpan<JsonObject>)[x, y])
        {
            if (!IsFalse(side["additionalProperties"])) continue;
            var names = (side["properties"] as JsonObject)?.Select(p => p.Key).ToHashSet() ?? [];
            allowed = allowed is null ? names : [.. allowed.Intersect(names)];
        }
        return allowed;
    }

    private static void Restrict(JsonObject r, HashSet<string> allowed, string path)
    {
        if (r["properties"] is JsonObject props)
            foreach (string name in props.Select(p => p.Key).Where(n => !allowed.Contains(n)).ToList()) props.Remove(name);
        if (r["required"] is JsonArray required)
            foreach (var name in required.Select(n => n!.GetValue<string>()))
                if (!allowed.Contains(name))
                    throw new GrammarException($"allOf at {path} requires '{name}', which additionalProperties: false forbids (no object can match)", "allOf", path);
        r["additionalProperties"] = false;
    }

    private static bool IsFalse(JsonNode? n) => n is JsonValue v && v.TryGetValue(out bool b) && !b;

    private static JsonObject MergeProperties(JsonObject a, JsonObject b, string path)
    {
        var r = (JsonObject)a.DeepClone();
        foreach (var (k, v) in b)
            r[k] = r.TryGetPropertyValue(k, out var mine) ? new JsonObject { ["allOf"] = new JsonArray(mine!.DeepClone(), v!.DeepClone()) } : v?.DeepClone();
        return r;
    }
}
