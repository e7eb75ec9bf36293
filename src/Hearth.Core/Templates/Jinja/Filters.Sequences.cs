namespace Hearth.Core.Templates.Jinja;

// Filters over sequences: sort, unique, dictsort, min/max, map, select/reject(attr).
internal static partial class Filters
{
    /// <summary>jinja2's make_attrgetter: "a.b.0" looked up item-first on each part.</summary>
    private static object? GetPath(object? item, object? attribute)
    {
        if (attribute is long or bool) return Access.GetItem(item, attribute);
        foreach (var part in PyRepr.Str(attribute).Split('.'))
            item = Access.GetItem(item, long.TryParse(part, out var n) ? n : part);
        return item;
    }

    private static IEnumerable<object?> MapAttribute(IEnumerable<object?> items, object? attribute) =>
        attribute is null ? items : items.Select(i => GetPath(i, attribute));

    private static object? SortKey(object? v, bool caseSensitive) =>
        !caseSensitive && v is string s ? s.ToLowerInvariant() : v;

    private static readonly Comparer<object?> PyComparer = Comparer<object?>.Create((a, b) => PyOps.Compare(a, b, "<"));

    private static object? Sort(object? v, CallArgs a)
    {
        var reverse = PyOps.Truthy(a.Get(0, "reverse", false));
        var caseSensitive = PyOps.Truthy(a.Get(1, "case_sensitive", false));
        var attribute = a.Get(2, "attribute");
        var items = PyOps.Iterate(v).ToList();
        Func<object?, object?> key = i => SortKey(attribute is null ? i : GetPath(i, attribute), caseSensitive);
        return (reverse ? items.OrderByDescending(key, PyComparer) : items.OrderBy(key, PyComparer)).ToList();
    }

    private static object? DictSort(object? v, CallArgs a)
    {
        if (v is not PyDict d) throw new RuntimeFailure("dictsort expects a mapping");
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var by = PyRepr.Str(a.Get(1, "by", "key"));
        var reverse = PyOps.Truthy(a.Get(2, "reverse", false));
        var pos = by switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new RuntimeFailure("You can only sort by either \"key\" or \"value\""),
        };
        Func<KeyValuePair<object?, object?>, object?> key = e => SortKey(pos == 0 ? e.Key : e.Value, caseSensitive);
        var sorted = reverse ? d.Entries.OrderByDescending(key, PyComparer) : d.Entries.OrderBy(key, PyComparer);
        return sorted.Select(e => (object?)new PyTuple([e.Key, e.Value])).ToList();
    }

    private static object? Unique(object? v, CallArgs a)
    {
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute");
        var seen = new PyDict();
        var result = new List<object?>();
        foreach (var item in PyOps.Iterate(v))
        {
            var key = SortKey(attribute is null ? item : GetPath(item, attribute), caseSensitive);
            if (seen.ContainsKey(key)) continue;
            seen.Set(key, null);
            result.Add(item);
        }
        return result;
    }

    private static object? MinMax(object? v, CallArgs a, bool max)
    {
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute");
        var items = PyOps.Iterate(v).ToList();
        if (items.Count == 0) return new Undefined($"No aggregated item, sequence was empty.");
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            var c = PyOps.Compare(SortKey(attribute is null ? item : GetPath(item, attribute), caseSensitive),
                SortKey(attribute is null ? best : GetPath(best, attribute), caseSensitive), "<");
            if (max ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    private static object? Map(object? v, CallArgs a)
    {
        // jinja2's map/select/reject start with "if value:", so None and other falsy values give nothing.
        var items = PyOps.Truthy(v) ? PyOps.Iterate(v) : [];
        if (a.Positional.Count == 0 && a.Has(-1, "attribute"))
        {
            var attribute = a.Get(-1, "attribute");
            var fallback = a.Get(-1, "default");
            var hasDefault = a.Has(-1, "default");
            return items.Select(i => GetPath(i, attribute) is Undefined u && hasDefault ? fallback : GetPath(i, attribute)).ToList();
        }
        if (a.Positional.Count == 0) throw new RuntimeFailure("map requires a filter argument");
        var name = PyRepr.Str(a.Positional[0]);
        var rest = new CallArgs(a.Positional.Skip(1).ToList(), a.Named, a.Line, a.Column);
        return items.Select(i => Apply(name, i, rest)).ToList();
    }

    private static object? Select(object? v, CallArgs a, bool attr, bool keep)
    {
        var offset = attr ? 1 : 0;
        var attribute = attr ? a.Get(0, "attr") : null;
        var testName = a.Positional.Count > offset ? PyRepr.Str(a.Positional[offset]) : null;
        var rest = new CallArgs(a.Positional.Skip(offset + 1).ToList(), a.Named, a.Line, a.Column);
        var result = new List<object?>();
        if (!PyOps.Truthy(v)) return result;
        foreach (var item in PyOps.Iterate(v))
        {
            var subject = attr ? GetPath(item, attribute) : item;
            var ok = testName is null ? PyOps.Truthy(subject) : Tests.Run(testName, subject, rest);
            if (ok == keep) result.Add(item);
        }
        return result;
    }
}
