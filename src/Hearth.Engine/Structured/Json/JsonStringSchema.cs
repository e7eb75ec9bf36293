using System.Text.Json.Nodes;
using Hearth.Engine.Structured.Text;

namespace Hearth.Engine.Structured.Json;

/// <summary>type: string — length bounds, <c>pattern</c> (a full match of the regex, which also satisfies JSON
/// Schema's search semantics), or a <c>format</c> (see <see cref="JsonFormats"/>). Combining a pattern or a format
/// with length bounds is refused (their intersection is not built).</summary>
internal static class JsonStringSchema
{
    public static GrammarNode Node(JsonParts json, JsonObject s, string path)
    {
        int min = (int)(s["minLength"]?.GetValue<double>() ?? 0);
        int? max = s["maxLength"] is { } m ? (int)m.GetValue<double>() : null;
        if (min < 0 || max < min) throw new GrammarException($"minLength/maxLength at {path} describe no string", "maxLength", path);
        bool lengths = s.ContainsKey("minLength") || s.ContainsKey("maxLength");
        if (s["pattern"] is { } pattern)
        {
            if (lengths) throw new GrammarException($"'pattern' together with minLength/maxLength (at {path}) is not supported", "pattern", path);
            return JsonParts.Quoted(RegexCompiler.Compile(pattern.GetValue<string>(), jsonEscaped: true));
        }
        if (s["format"] is { } format)
        {
            string f = format.GetValue<string>();
            var node = JsonFormats.Node(f) ?? throw new GrammarException(
                $"the string format '{f}' (at {path}) is not supported (supported: {string.Join(", ", JsonFormats.Supported)})", "format", path);
            if (lengths) throw new GrammarException($"'format' together with minLength/maxLength (at {path}) is not supported", "format", path);
            return JsonParts.Quoted(node);
        }
        if (max > 10_000) throw new GrammarException($"maxLength {max} at {path} is too large (at most 10000)", "maxLength", path);
        return lengths ? json.StringOf(min, max) : json.String;
    }
}
