using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Engine.Structured.Text;

namespace Hearth.Engine.Structured.Json;

/// <summary>Compiles a JSON Schema (draft 2020-12 and the common older forms) into a grammar whose sentences are
/// exactly JSON documents the schema accepts — or a sound subset where the full language is not practical (see
/// the README of this folder's types: numbers have bounded digits, objects list declared properties in order and no
/// extra ones). Every keyword is either honoured, an annotation, or refused with a <see cref="GrammarException"/>
/// naming it: nothing is silently ignored.</summary>
public sealed class JsonSchemaCompiler
{
    private static readonly HashSet<string> Annotations =
    [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly",
        "$defs", "definitions", "strict", "name",
    ];

    private static readonly HashSet<string> Honoured =
    [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "prefixItems", "additionalItems",
        "minItems", "maxItems", "anyOf", "oneOf", "allOf", "$ref", "pattern", "format", "minLength", "maxLength",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "nullable",
    ];

    private readonly JsonNode _root;
    private readonly JsonParts _json;
    private readonly GrammarBuilder _builder;
    private readonly Dictionary<string, GrammarNode> _refs = [];

    private JsonSchemaCompiler(JsonNode root, int maxWhitespace)
    {
        _root = root;
        _builder = new GrammarBuilder();
        _json = new JsonParts(_builder, maxWhitespace);
    }

    /// <summary>Compiles a schema (its JSON text). Throws <see cref="GrammarException"/> for what cannot be honoured.</summary>
    public static Grammar Compile(string schemaJson, int maxWhitespace = 20)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(schemaJson);
        }
        catch (JsonException e)
        {
            throw new GrammarException("the JSON schema is not valid JSON: " + e.Message);
        }
        return Compile(root, maxWhitespace);
    }

    public static Grammar Compile(JsonNode? schema, int maxWhitespace = 20)
    {
        if (schema is null) throw new GrammarException("the JSON schema is null");
        var c = new JsonSchemaCompiler(schema, maxWhitespace);
        int start = c._builder.Rule("root");
        c._builder.Define(start, c.Schema(schema, "#"));
        return c._builder.Build(start);
    }

    /// <summary>A schema inside a larger grammar (tool calls): adds its rules to <paramref name="builder"/>.</summary>
    internal static GrammarNode Embed(JsonNode schema, GrammarBuilder builder, string prefix, int maxWhitespace = 20)
    {
        return new JsonSchemaCompiler(schema, maxWhitespace, builder, prefix).Schema(schema, "#");
    }

    private JsonSchemaCompiler(JsonNode root, int maxWhitespace, GrammarBuilder builder, string prefix)
    {
        _root = root;
        _builder = builder;
        _json = new JsonParts(builder, maxWhitespace, prefix);
    }

    private GrammarNode Schema(JsonNode? node, string path)
    {
        if (node is JsonValue v && v.TryGetValue(out bool b))
            return b ? _json.Value : throw new GrammarException($"the schema at {path} is 'false' (nothing can match it)", "false", path);
        if (node is not JsonObject s) throw new GrammarException($"the schema at {path} is not an object", null, path);
        foreach (var (key, _) in s)
            if (!Annotations.Contains(key) && !Honoured.Contains(key))
                throw new GrammarException($"the JSON Schema keyword '{key}' (at {path}) is not supported", key, path);

        if (s["$ref"] is { } reference) return Ref(reference.GetValue<string>(), s, path);
        if (s["allOf"] is JsonArray all) return Schema(SchemaMerge.AllOf(s, all, Resolve, path), path + "/allOf");
        var alternatives = s["anyOf"] as JsonArray ?? s["oneOf"] as JsonArray;
        if (alternatives is not null)
        {
            var rest = SchemaMerge.Without(s, "anyOf", "oneOf");
            var options = new List<GrammarNode>();
            for (int i = 0; i < alternatives.Count; i++)
                options.Add(Schema(SchemaMerge.HasConstraints(rest) ? SchemaMerge.Both(rest, Resolve(alternatives[i]), path) : alternatives[i], $"{path}/anyOf/{i}"));
            return Nullable(s, GrammarNode.Choice(options));
        }
        if (s.ContainsKey("const")) return Nullable(s, GrammarNode.Literal(JsonParts.Serialize(s["const"])));
        if (s["enum"] is JsonArray values)
        {
            if (values.Count == 0) throw new GrammarException($"'enum' at {path} is empty", "enum", path);
            return Nullable(s, LiteralTrie.Node(values.Select(JsonParts.Serialize)));
        }
        var types = Types(s, path);
        return Nullable(s, GrammarNode.Choice(types.Select(t => Typed(t, s, path))));
    }

    private static GrammarNode Nullable(JsonObject s, GrammarNode node) =>
        s["nullable"] is JsonValue n && n.TryGetValue(out bool yes) && yes ? GrammarNode.Choice(node, JsonParts.Null) : node;

    private static List<string> Types(JsonObject s, string path)
    {
        switch (s["type"])
        {
            case JsonValue t: return [t.GetValue<string>()];
            case JsonArray list: return [.. list.Select(x => x!.GetValue<string>())];
            case null:
                if (s.ContainsKey("properties") || s.ContainsKey("additionalProperties") || s.ContainsKey("required")) return ["object"];
                if (s.ContainsKey("items") || s.ContainsKey("prefixItems")) return ["array"];
                if (s.ContainsKey("pattern") || s.ContainsKey("format") || s.ContainsKey("minLength") || s.ContainsKey("maxLength")) return ["string"];
                if (s.ContainsKey("minimum") || s.ContainsKey("maximum")) return ["number"];
                return ["any"];
            default: throw new GrammarException($"'type' at {path} must be a string or an array of strings", "type", path);
        }
    }

    private GrammarNode Typed(string type, JsonObject s, string path) => type switch
    {
        "string" => JsonStringSchema.Node(_json, s, path),
        "integer" => JsonNumberSchema.Integer(_json, s, path),
        "number" => JsonNumberSchema.Number(_json, s, path),
        "boolean" => JsonParts.Boolean,
        "null" => JsonParts.Null,
        "object" => JsonObjectSchema.Node(_json, s, path, Schema),
        "array" => JsonArraySchema.Node(_json, s, path, Schema),
        "any" => _json.Value,
        _ => throw new GrammarException($"unknown type '{type}' at {path}", "type", path),
    };

    private GrammarNode Ref(string reference, JsonObject s, string path)
    {
        if (SchemaMerge.HasConstraints(SchemaMerge.Without(s, "$ref")))
            return Schema(SchemaMerge.Both(SchemaMerge.Without(s, "$ref"), Resolve(s), path), path);
        if (_refs.TryGetValue(reference, out var known)) return known;
        var target = Pointer(reference, path);
        int rule = _builder.Rule(_json.Prefix + "ref " + reference);
        var node = new GrammarNode.Ref(rule);
        _refs[reference] = node;
        _builder.Define(rule, Schema(target, reference));
        return node;
    }

    /// <summary>A schema with its top-level $ref replaced by the referenced schema (for merging).</summary>
    private JsonNode? Resolve(JsonNode? node)
    {
        for (int hops = 0; node is JsonObject o && o["$ref"] is { } r; hops++)
        {
            if (hops > 32) throw new GrammarException("$ref chain too long or circular", "$ref");
            var target = Pointer(r.GetValue<string>(), "#");
            var rest = SchemaMerge.Without(o, "$ref");
            node = SchemaMerge.HasConstraints(rest) ? SchemaMerge.Both(rest, target, "#") : target;
        }
        return node;
    }

    private JsonNode? Pointer(string reference, string path)
    {
        if (reference == "#") return _root;
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
            throw new GrammarException($"$ref '{reference}' (at {path}) cannot be resolved: only local references ('#/...') are supported", "$ref", path);
        JsonNode? at = _root;
        foreach (string raw in reference[2..].Split('/'))
        {
            string part = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            at = at switch
            {
                JsonObject o when o.TryGetPropertyValue(part, out var child) => child,
                JsonArray a when int.TryParse(part, out int i) && i >= 0 && i < a.Count => a[i],
                _ => throw new GrammarException($"$ref '{reference}' (at {path}) points to nothing", "$ref", path),
            };
        }
        return at;
    }
}
