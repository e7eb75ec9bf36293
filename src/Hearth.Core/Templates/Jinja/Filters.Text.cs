namespace Hearth.Core.Templates.Jinja;

// Less common jinja2 filters: batch, center, truncate.
internal static partial class Filters
{
    private static object? Batch(object? v, CallArgs a)
    {
        var size = PyOps.ToLong(a.Get(0, "linecount"));
        if (size <= 0) throw new RuntimeFailure("batch size must be positive");
        var hasFill = a.Has(1, "fill_with") && a.Get(1, "fill_with") is not null;
        var fill = a.Get(1, "fill_with");
        var result = new List<object?>();
        List<object?>? current = null;
        foreach (var item in PyOps.Iterate(v))
        {
            current ??= [];
            current.Add(item);
            if (current.Count == size) { result.Add(current); current = null; }
        }
        if (current is not null)
        {
            while (hasFill && current.Count < size) current.Add(fill);
            result.Add(current);
        }
        return result;
    }

    private static object? Center(object? v, CallArgs a)
    {
        // Python str.center: the odd padding character goes left when the width is odd.
        var s = PyRepr.Str(v);
        var width = PyOps.ToLong(a.Get(0, "width", 80L));
        var pad = width - PyStr.Length(s);
        if (pad <= 0) return s;
        var left = pad / 2 + (pad & width & 1);
        return new string(' ', (int)left) + s + new string(' ', (int)(pad - left));
    }

    private static object? Truncate(object? v, CallArgs a)
    {
        var s = PyRepr.Str(v);
        var length = PyOps.ToLong(a.Get(0, "length", 255L));
        var killWords = PyOps.Truthy(a.Get(1, "killwords", false));
        var end = PyRepr.Str(a.Get(2, "end", "..."));
        var leeway = a.Get(3, "leeway") is { } l ? PyOps.ToLong(l) : 5;
        if (PyStr.Length(s) <= length + leeway) return s;
        var head = PyStr.Slice(s, null, Math.Max(0, length - PyStr.Length(end)), null);
        if (killWords) return head + end;
        var cut = head.LastIndexOf(' ');
        return (cut >= 0 ? head[..cut] : head) + end;
    }
}
