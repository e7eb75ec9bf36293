namespace Hearth.Core.Templates.Jinja;

/// <summary>Python semantics for truthiness, equality, ordering, membership, iteration and length.</summary>
internal static class PyOps
{
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        Markup => "Markup",
        List<object?> => "list",
        PyTuple => "tuple",
        PyDict => "dict",
        Namespace => "Namespace",
        Undefined => "Undefined",
        Macro => "Macro",
        LoopContext => "LoopContext",
        PyFunction or BoundMethod => "builtin_function_or_method",
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        Markup m => m.Value.Length > 0,
        List<object?> l => l.Count > 0,
        PyTuple t => t.Items.Count > 0,
        PyDict d => d.Count > 0,
        Undefined => false,
        _ => true,
    };

    /// <summary>A string-like value's text (str or Markup), else null.</summary>
    public static string? AsString(object? v) => v switch
    {
        string s => s,
        Markup m => m.Value,
        _ => null,
    };

    /// <summary>A number as double when the value is bool/int/float.</summary>
    public static bool IsNumber(object? v) => v is bool or long or double;

    public static double ToDouble(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw new RuntimeFailure($"expected a number, got '{TypeName(v)}'"),
    };

    public static bool PyEquals(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        if (AsString(a) is { } sa && AsString(b) is { } sb) return string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is List<object?> la && b is List<object?> lb) return SequenceEquals(la, lb);
        if (a is PyTuple ta && b is PyTuple tb) return SequenceEquals(ta.Items, tb.Items);
        if (a is PyDict da && b is PyDict db)
        {
            if (da.Count != db.Count) return false;
            foreach (var kv in da.Entries)
                if (!db.TryGet(kv.Key, out var other) || !PyEquals(kv.Value, other)) return false;
            return true;
        }
        return ReferenceEquals(a, b);
    }

    private static bool SequenceEquals(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
            if (!PyEquals(a[i], b[i])) return false;
        return true;
    }

    public static long ToLong(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        _ => throw new RuntimeFailure($"expected an integer, got '{TypeName(v)}'"),
    };

    /// <summary>Python ordering (&lt;); raises TypeError-like failures for unorderable types.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (AsString(a) is { } sa && AsString(b) is { } sb) return string.CompareOrdinal(sa, sb) switch { < 0 => -1, > 0 => 1, _ => 0 };
        if (a is List<object?> la && b is List<object?> lb) return CompareSequences(la, lb, op);
        if (a is PyTuple ta && b is PyTuple tb) return CompareSequences(ta.Items, tb.Items, op);
        if (a is Undefined || b is Undefined) throw new RuntimeFailure(((Undefined)(a is Undefined ? a : b)!).Hint);
        throw new RuntimeFailure($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static int CompareSequences(IReadOnlyList<object?> a, IReadOnlyList<object?> b, string op)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
            if (!PyEquals(a[i], b[i])) return Compare(a[i], b[i], op);
        return a.Count.CompareTo(b.Count);
    }

    public static bool Contains(object? container, object? item) => container switch
    {
        string or Markup => AsString(item) is { } s
            ? AsString(container)!.Contains(s, StringComparison.Ordinal)
            : throw new RuntimeFailure($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        List<object?> l => l.Any(x => PyEquals(x, item)),
        PyTuple t => t.Items.Any(x => PyEquals(x, item)),
        PyDict d => d.ContainsKey(item),
        Undefined => false,
        _ => throw new RuntimeFailure($"argument of type '{TypeName(container)}' is not iterable"),
    };

    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l.ToArray(),
        PyTuple t => t.Items,
        PyDict d => d.Keys.ToArray(),
        string s => PyStr.Chars(s),
        Markup m => PyStr.Chars(m.Value),
        Undefined => [],
        _ => throw new RuntimeFailure($"'{TypeName(v)}' object is not iterable"),
    };

    public static bool IsIterable(object? v) => v is List<object?> or PyTuple or PyDict or string or Markup or Undefined;

    public static long Length(object? v) => v switch
    {
        string s => PyStr.Length(s),
        Markup m => PyStr.Length(m.Value),
        List<object?> l => l.Count,
        PyTuple t => t.Items.Count,
        PyDict d => d.Count,
        Undefined => 0,
        Namespace ns => ns.Attributes.Count,
        _ => throw new RuntimeFailure($"object of type '{TypeName(v)}' has no len()"),
    };

    public static void CheckHashable(object? key)
    {
        if (key is List<object?> or PyDict or Namespace)
            throw new RuntimeFailure($"unhashable type: '{TypeName(key)}'");
        if (key is Undefined u) throw new RuntimeFailure(u.Hint);
    }
}
