namespace Hearth.Core.Templates.Jinja;

/// <summary>jinja2's attribute and item lookup: <c>x.name</c> tries the attribute then the item,
/// <c>x[key]</c> tries the item then (for string keys) the attribute; misses give Undefined.</summary>
internal static class Access
{
    public static object? GetAttr(object? obj, string name)
    {
        switch (obj)
        {
            case Undefined u: throw new RuntimeFailure(u.Hint);
            case PyDict d:
                if (Methods.IsMethod(d, name)) return MethodOrUnsafe(d, name);
                return d.TryGet(name, out var v) ? v : Undefined.NoAttribute(obj, name);
            case Namespace ns: return ns.Attributes.TryGet(name, out var nv) ? nv : Undefined.NoAttribute(obj, name);
            case LoopContext loop: return loop.Get(name);
            default:
                return Methods.IsMethod(obj, name) ? MethodOrUnsafe(obj, name) : Undefined.NoAttribute(obj, name);
        }
    }

    private static object MethodOrUnsafe(object? obj, string name) =>
        Methods.IsMutating(obj, name)
            ? new Undefined($"access to attribute '{name}' of '{PyOps.TypeName(obj)}' object is unsafe.")
            : new BoundMethod(obj, name);

    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Undefined u: throw new RuntimeFailure(u.Hint);
            case PyDict d:
                if (key is not SliceValue && d.TryGet(key, out var v)) return v;
                break;
            case List<object?> list:
                if (TryIndex(list, key, out var item)) return item;
                if (key is SliceValue s) return Slicing.Indices(list.Count, s.Start, s.Stop, s.Step).Select(i => list[i]).ToList();
                break;
            case PyTuple t:
                if (TryIndex(t.Items, key, out var titem)) return titem;
                if (key is SliceValue ts) return new PyTuple(Slicing.Indices(t.Items.Count, ts.Start, ts.Stop, ts.Step).Select(i => t.Items[i]).ToArray());
                break;
            case string or Markup:
                var str = PyOps.AsString(obj)!;
                if (key is long or bool) return PyStr.Index(str, PyOps.ToLong(key)) is { } ch ? Wrap(obj, ch) : Undefined.NoElement(obj, key);
                if (key is SliceValue ss) return Wrap(obj, PyStr.Slice(str, ss.Start, ss.Stop, ss.Step));
                break;
        }
        if (key is string name) return GetAttr(obj, name);
        return Undefined.NoElement(obj, key);
    }

    private static object Wrap(object? original, string s) => original is Markup ? new Markup(s) : s;

    private static bool TryIndex(IReadOnlyList<object?> list, object? key, out object? item)
    {
        item = null;
        if (key is not (long or bool)) return false;
        var i = PyOps.ToLong(key);
        if (i < 0) i += list.Count;
        if (i < 0 || i >= list.Count) return false;
        item = list[(int)i];
        return true;
    }
}
