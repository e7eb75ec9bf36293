namespace Hearth.Core.Templates.Jinja;

/// <summary>jinja2's built-in filters (the ones chat templates use), plus HF transformers' tojson.</summary>
internal static partial class Filters
{
    private delegate object? Filter(object? value, CallArgs a);

    private static readonly Dictionary<string, Filter> Table = new(StringComparer.Ordinal)
    {
        ["abs"] = (v, _) => v switch
        {
            bool or long => (object)Math.Abs(PyOps.ToLong(v)),
            double d => Math.Abs(d),
            _ => throw new RuntimeFailure($"bad operand type for abs(): '{PyOps.TypeName(v)}'"),
        },
        ["attr"] = (v, a) => Access.GetAttr(v, PyRepr.Str(a.Get(0, "name"))),
        ["capitalize"] = (v, _) => KeepMarkup(v, s => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant()),
        ["count"] = (v, _) => PyOps.Length(v),
        ["length"] = (v, _) => PyOps.Length(v),
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = (v, _) => Escape(v),
        ["escape"] = (v, _) => Escape(v),
        ["first"] = (v, _) => PyOps.Iterate(v).Take(1).ToList() is [var f] ? f : new Undefined("No first item, sequence was empty."),
        ["last"] = (v, _) => PyOps.Iterate(v).ToList() is { Count: > 0 } l ? l[^1] : new Undefined("No last item, sequence was empty."),
        ["float"] = (v, a) => ToFloat(v) ?? a.Get(0, "default", 0.0),
        ["int"] = (v, a) => ToInt(v, a.Get(1, "base") is { } b ? (int)PyOps.ToLong(b) : 10) ?? a.Get(0, "default", 0L),
        ["format"] = (v, a) => PercentFormat.Format(PyRepr.Str(v), a.Named.Count > 0 ? NamedDict(a) : new PyTuple(a.Positional)),
        ["indent"] = Indent,
        ["items"] = (v, _) => v switch
        {
            Undefined => new List<object?>(),
            PyDict d => d.Entries.Select(e => (object?)new PyTuple([e.Key, e.Value])).ToList(),
            _ => throw new RuntimeFailure("Can only get item pairs from a mapping."),
        },
        ["join"] = (v, a) =>
        {
            var items = MapAttribute(PyOps.Iterate(v), a.Get(1, "attribute"));
            return string.Join(PyRepr.Str(a.Get(0, "d", "")), items.Select(PyRepr.Str));
        },
        ["list"] = (v, _) => PyOps.Iterate(v).ToList(),
        ["lower"] = (v, _) => KeepMarkup(v, s => s.ToLowerInvariant()),
        ["upper"] = (v, _) => KeepMarkup(v, s => s.ToUpperInvariant()),
        ["title"] = (v, _) => KeepMarkup(v, TitleWords),
        ["trim"] = (v, a) => KeepMarkup(v, s => PyStr.Strip(s, a.Get(0, "chars") is { } c ? PyRepr.Str(c) : null, true, true)),
        ["replace"] = (v, a) => StringMethods.Replace(PyRepr.Str(v), PyRepr.Str(a.Get(0, "old")), PyRepr.Str(a.Get(1, "new")),
            a.Get(2, "count") is { } n ? PyOps.ToLong(n) : -1),
        ["reverse"] = (v, _) => v is string or Markup
            ? KeepMarkup(v, s => PyStr.Slice(s, null, null, -1))
            : PyOps.Iterate(v).Reverse().ToList(),
        ["round"] = Round,
        ["safe"] = (v, _) => v is Markup ? v : new Markup(PyRepr.Str(v)),
        ["string"] = (v, _) => v is Markup ? v : PyRepr.Str(v),
        ["sum"] = (v, a) => MapAttribute(PyOps.Iterate(v), a.Get(0, "attribute")).Aggregate(a.Get(1, "start", 0L), Arith.Add),
        ["tojson"] = (v, a) => JsonDumps.Dumps(v,
            PyOps.Truthy(a.Get(0, "ensure_ascii", false)),
            a.Get(1, "indent") is { } ind ? (int)PyOps.ToLong(ind) : null,
            Separator(a.Get(2, "separators"), 0), Separator(a.Get(2, "separators"), 1),
            PyOps.Truthy(a.Get(3, "sort_keys", false))),
        ["unique"] = Unique,
        ["sort"] = Sort,
        ["max"] = (v, a) => MinMax(v, a, max: true),
        ["min"] = (v, a) => MinMax(v, a, max: false),
        ["map"] = Map,
        ["select"] = (v, a) => Select(v, a, attr: false, keep: true),
        ["reject"] = (v, a) => Select(v, a, attr: false, keep: false),
        ["selectattr"] = (v, a) => Select(v, a, attr: true, keep: true),
        ["rejectattr"] = (v, a) => Select(v, a, attr: true, keep: false),
        ["batch"] = Batch,
        ["center"] = Center,
        ["truncate"] = Truncate,
        ["wordcount"] = (v, _) => (long)WordRegex().Count(PyRepr.Str(v)),
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static object? Apply(string name, object? value, CallArgs args)
    {
        if (!Table.TryGetValue(name, out var f)) throw new RuntimeFailure($"No filter named '{name}'.");
        return f(value, args);
    }

    private static object KeepMarkup(object? v, Func<string, string> f)
    {
        return v is Markup m ? new Markup(f(m.Value)) : f(PyRepr.Str(v));
    }

    private static object? Default(object? v, CallArgs a)
    {
        var fallback = a.Get(0, "default_value", "");
        var boolean = PyOps.Truthy(a.Get(1, "boolean", false));
        return v is Undefined || (boolean && !PyOps.Truthy(v)) ? fallback : v;
    }

    private static Markup Escape(object? v) => v as Markup ?? new Markup(Markup.Escape(PyRepr.Str(v)));

    private static PyDict NamedDict(CallArgs a)
    {
        var d = new PyDict();
        foreach (var kv in a.Named) d.Set(kv.Key, kv.Value);
        return d;
    }

    private static string? Separator(object? seps, int index) => seps switch
    {
        null => null,
        PyTuple t when t.Items.Count == 2 => PyRepr.Str(t.Items[index]),
        List<object?> l when l.Count == 2 => PyRepr.Str(l[index]),
        _ => throw new RuntimeFailure("separators must be a pair of strings"),
    };

    private static object? ToFloat(object? v)
    {
        switch (v)
        {
            case bool or long or double: return PyOps.ToDouble(v);
            case string or Markup:
                var s = PyStr.Strip(PyOps.AsString(v)!, null, true, true).Replace("_", "");
                var lower = s.ToLowerInvariant().TrimStart('+', '-');
                if (lower is "inf" or "infinity" or "nan") return s.StartsWith('-') ? -double.Parse(lower == "nan" ? "NaN" : "Infinity", System.Globalization.CultureInfo.InvariantCulture) : double.Parse(lower == "nan" ? "NaN" : "Infinity", System.Globalization.CultureInfo.InvariantCulture);
                return double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;
            default: return null;
        }
    }

    private static object? ToInt(object? v, int numberBase)
    {
        switch (v)
        {
            case bool or long: return PyOps.ToLong(v);
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : null;
            case string or Markup:
                var s = PyStr.Strip(PyOps.AsString(v)!, null, true, true).Replace("_", "");
                try
                {
                    if (numberBase == 10 && long.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)) return l;
                    if (numberBase != 10) return Convert.ToInt64(s, numberBase);
                }
                catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
                {
                    return null;
                }
                return ToFloat(s) is double f && double.IsFinite(f) ? (long)Math.Truncate(f) : null;
            default: return null;
        }
    }

    private static object? Indent(object? v, CallArgs a)
    {
        if (v is Undefined u) throw new RuntimeFailure(u.Hint);
        var s = PyOps.AsString(v) ?? throw new RuntimeFailure($"can only concatenate {PyOps.TypeName(v)} (not \"str\") to {PyOps.TypeName(v)}");
        var width = a.Get(0, "width", 4L);
        var indentation = width is string ws ? ws : new string(' ', (int)PyOps.ToLong(width));
        var first = PyOps.Truthy(a.Get(1, "first", false));
        var blank = PyOps.Truthy(a.Get(2, "blank", false));
        var lines = PyStr.SplitLines(s + "\n");
        string rv;
        if (blank) rv = string.Join("\n" + indentation, lines);
        else
        {
            rv = lines[0];
            if (lines.Count > 1)
                rv += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
        }
        if (first) rv = indentation + rv;
        return v is Markup ? new Markup(rv) : rv;
    }

    private static object? Round(object? v, CallArgs a)
    {
        var precision = (int)PyOps.ToLong(a.Get(0, "precision", 0L));
        var method = PyRepr.Str(a.Get(1, "method", "common"));
        if (!PyOps.IsNumber(v)) throw new RuntimeFailure($"type {PyOps.TypeName(v)} doesn't define __round__ method");
        if (method == "common")
        {
            if (v is long or bool) return PyOps.ToLong(v);
            return Math.Round(PyOps.ToDouble(v), Math.Clamp(precision, 0, 15), MidpointRounding.ToEven);
        }
        var scale = Math.Pow(10, precision);
        var x = PyOps.ToDouble(v) * scale;
        return method switch
        {
            "floor" => Math.Floor(x) / scale,
            "ceil" => Math.Ceiling(x) / scale,
            _ => throw new RuntimeFailure("method must be common, ceil or floor"),
        };
    }

    private static string TitleWords(string s)
    {
        // jinja2's title: split on runs of "-", whitespace and opening brackets; capitalize each piece.
        var sb = new System.Text.StringBuilder(s.Length);
        var atStart = true;
        foreach (var c in s)
        {
            var sep = c is '-' or '(' or '{' or '[' or '<' || PyStr.IsSpace(c);
            sb.Append(sep ? c : atStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            atStart = sep;
        }
        return sb.ToString();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\w+")]
    private static partial System.Text.RegularExpressions.Regex WordRegex();
}
