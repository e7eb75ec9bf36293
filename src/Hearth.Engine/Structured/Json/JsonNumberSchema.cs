using System.Text.Json.Nodes;

namespace Hearth.Engine.Structured.Json;

/// <summary>type: integer and number with minimum/maximum (inclusive or exclusive, draft-4 boolean form too).
/// Integers are exact over the range. Bounded numbers are the integers of the range plus x.f (f not ending in 0) for
/// non-negative x with x ≥ minimum and x + 1 ≤ maximum (a sound subset: every value is inside the bounds).</summary>
internal static class JsonNumberSchema
{
    public static GrammarNode Integer(JsonParts json, JsonObject s, string path)
    {
        var (lo, hi) = IntegerBounds(s, path);
        return lo == -IntegerRange.Limit && hi == IntegerRange.Limit ? json.Integer : IntegerRange.Node(lo, hi);
    }

    public static GrammarNode Number(JsonParts json, JsonObject s, string path)
    {
        if (!HasBounds(s)) return json.Number;
        var (lo, hi) = RealBounds(s, path);
        var options = new List<GrammarNode>();
        // Integers inside the bounds.
        var (ilo, ihi) = IntegerBounds(s, path, allowEmpty: true);
        if (ilo <= ihi) options.Add(IntegerRange.Node(ilo, ihi));
        // x.f with f > 0 (its last digit is not 0) lies strictly between x and x + 1: inside when x ≥ lo and x + 1 ≤ hi.
        long fracLo = (long)Math.Max(0, Math.Ceiling(lo)), fracHi = (long)Math.Min(IntegerRange.Limit, Math.Floor(hi) - 1);
        if (fracLo <= fracHi)
            options.Add(GrammarNode.Sequence(IntegerRange.Node(fracLo, fracHi), GrammarNode.Literal("."),
                GrammarNode.Times(GrammarNode.Range('0', '9'), 0, JsonParts.MaxFractionDigits - 1), GrammarNode.Range('1', '9')));
        if (options.Count == 0) throw new GrammarException($"the bounds at {path} allow no number this grammar can write", "minimum", path);
        return GrammarNode.Choice(options);
    }

    private static (double Lo, double Hi) RealBounds(JsonObject s, string path)
    {
        double lo = -IntegerRange.Limit, hi = IntegerRange.Limit;
        if (Number(s, "minimum", path) is double min) lo = Math.Max(lo, min);
        if (Number(s, "maximum", path) is double max) hi = Math.Min(hi, max);
        if (s["exclusiveMinimum"] is JsonValue xm && !xm.TryGetValue(out bool _)) lo = Math.Max(lo, xm.GetValue<double>());
        if (s["exclusiveMaximum"] is JsonValue xM && !xM.TryGetValue(out bool _)) hi = Math.Min(hi, xM.GetValue<double>());
        return (lo, hi);
    }

    private static bool HasBounds(JsonObject s) =>
        s.ContainsKey("minimum") || s.ContainsKey("maximum") || s.ContainsKey("exclusiveMinimum") || s.ContainsKey("exclusiveMaximum");

    /// <summary>The integers allowed by the bounds, clamped to what the grammar generates.</summary>
    private static (long Lo, long Hi) IntegerBounds(JsonObject s, string path, bool allowEmpty = false)
    {
        double lo = -IntegerRange.Limit, hi = IntegerRange.Limit;
        if (Number(s, "minimum", path) is double min)
            lo = Math.Max(lo, IsTrue(s["exclusiveMinimum"]) ? Math.Floor(min) + 1 : Math.Ceiling(min));
        if (Number(s, "maximum", path) is double max)
            hi = Math.Min(hi, IsTrue(s["exclusiveMaximum"]) ? Math.Ceiling(max) - 1 : Math.Floor(max));
        if (s["exclusiveMinimum"] is JsonValue xm && !xm.TryGetValue(out bool _)) lo = Math.Max(lo, Math.Floor(xm.GetValue<double>()) + 1);
        if (s["exclusiveMaximum"] is JsonValue xM && !xM.TryGetValue(out bool _)) hi = Math.Min(hi, Math.Ceiling(xM.GetValue<double>()) - 1);
        if (lo > hi && !allowEmpty) throw new GrammarException($"the bounds at {path} allow no integer value", "minimum", path);
        return ((long)lo, (long)hi);
    }

    private static double? Number(JsonObject s, string key, string path)
    {
        if (s[key] is not JsonValue v) return null;
        if (v.TryGetValue(out double d) && double.IsFinite(d)) return d;
        throw new GrammarException($"'{key}' at {path} must be a number", key, path);
    }

    private static bool IsTrue(JsonNode? n) => n is JsonValue v && v.TryGetValue(out bool b) && b;
}
