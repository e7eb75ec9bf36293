using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>The Python methods templates call on str, dict and list values. Mutating methods exist but are
/// refused, as in jinja2's ImmutableSandboxedEnvironment.</summary>
internal static class Methods
{
    private static readonly HashSet<string> StrMethods =
    [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower",
        "title", "capitalize", "swapcase", "replace", "join", "find", "rfind", "index", "count", "isdigit", "isalpha",
        "isalnum", "isspace", "islower", "isupper", "format", "removeprefix", "removesuffix",
    ];

    private static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get", "copy", "update", "pop", "popitem", "setdefault", "clear"];
    private static readonly HashSet<string> ListMethods = ["index", "count", "copy", "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"];
    private static readonly HashSet<string> Mutating = ["update", "pop", "popitem", "setdefault", "clear", "append", "extend", "insert", "remove", "sort", "reverse"];

    public static bool IsMethod(object? obj, string name) => obj switch
    {
        string or Markup => StrMethods.Contains(name),
        PyDict => DictMethods.Contains(name),
        List<object?> => ListMethods.Contains(name),
        PyTuple => name is "index" or "count",
        _ => false,
    };

    public static bool IsMutating(object? obj, string name) => obj is PyDict or List<object?> && Mutating.Contains(name);

    public static object? Call(BoundMethod m, CallArgs a)
    {
        switch (m.Self)
        {
            case LoopContext loop when m.Name == "cycle": return loop.Cycle(a);
            case string or Markup: return StringMethods.Call(PyOps.AsString(m.Self)!, m.Name, a);
            case PyDict d: return CallDict(d, m.Name, a);
            case List<object?> l: return CallSequence(l, m.Name, a);
            case PyTuple t: return CallSequence(t.Items, m.Name, a);
            default: throw new RuntimeFailure($"'{PyOps.TypeName(m.Self)}' object has no method '{m.Name}'");
        }
    }

    private static object? CallDict(PyDict d, string name, CallArgs a)
    {
        switch (name)
        {
            case "items": return d.Entries.Select(e => (object?)new PyTuple([e.Key, e.Value])).ToList();
            case "keys": return d.Keys.ToList();
            case "values": return d.Values.ToList();
            case "get":
                if (a.Positional.Count == 0) throw new RuntimeFailure("get expected at least 1 argument, got 0");
                return d.TryGet(a.Positional[0], out var v) ? v : a.Get(1, "default");
            case "copy":
                var copy = new PyDict();
                foreach (var e in d.Entries) copy.Set(e.Key, e.Value);
                return copy;
            default: throw new RuntimeFailure($"'dict' object has no method '{name}'");
        }
    }

    private static object? CallSequence(IReadOnlyList<object?> items, string name, CallArgs a)
    {
        var x = a.Get(0, "value");
        switch (name)
        {
            case "index":
                for (var i = 0; i < items.Count; i++)
                    if (PyOps.PyEquals(items[i], x)) return (long)i;
                throw new RuntimeFailure($"{PyRepr.Repr(x)} is not in list");
            case "count": return (long)items.Count(i => PyOps.PyEquals(i, x));
            case "copy": return items.ToList();
            default: throw new RuntimeFailure($"'list' object has no method '{name}'");
        }
    }
}

/// <summary>Python str methods.</summary>
internal static class StringMethods
{
    public static object? Call(string s, string name, CallArgs a)
    {
        switch (name)
        {
            case "strip": return PyStr.Strip(s, CharsArg(a), true, true);
            case "lstrip": return PyStr.Strip(s, CharsArg(a), true, false);
            case "rstrip": return PyStr.Strip(s, CharsArg(a), false, true);
            case "split": return Split(s, OptString(a.Get(0, "sep")), MaxSplit(a));
            case "rsplit": return RSplit(s, OptString(a.Get(0, "sep")), MaxSplit(a));
            case "splitlines": return PyStr.SplitLines(s).Cast<object?>().ToList();
            case "startswith": return Affix(s, a, (t, p) => t.StartsWith(p, StringComparison.Ordinal));
            case "endswith": return Affix(s, a, (t, p) => t.EndsWith(p, StringComparison.Ordinal));
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "swapcase": return string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));
            case "title": return Title(s);
            case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "replace":
                var count = a.Get(2, "count") is { } c ? PyOps.ToLong(c) : -1;
                return Replace(s, Str(a.Get(0, "old")), Str(a.Get(1, "new")), count);
            case "join": return string.Join(s, PyOps.Iterate(a.Get(0, "iterable")).Select(x => x is string or Markup ? PyRepr.Str(x) : throw new RuntimeFailure($"sequence item: expected str instance, {PyOps.TypeName(x)} found")));
            case "find": return (long)s.IndexOf(Str(a.Get(0, "sub")), StringComparison.Ordinal);
            case "rfind": return (long)s.LastIndexOf(Str(a.Get(0, "sub")), StringComparison.Ordinal);
            case "index":
                var idx = s.IndexOf(Str(a.Get(0, "sub")), StringComparison.Ordinal);
                return idx >= 0 ? (long)idx : throw new RuntimeFailure("substring not found");
            case "count": return (long)CountOccurrences(s, Str(a.Get(0, "sub")));
            case "isdigit": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(PyStr.IsSpace);
            case "islower": return s.Any(char.IsLower) && !s.Any(char.IsUpper);
            case "isupper": return s.Any(char.IsUpper) && !s.Any(char.IsLower);
            case "removeprefix": var p = Str(a.Get(0, "prefix")); return s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s;
            case "removesuffix": var q = Str(a.Get(0, "suffix")); return q.Length > 0 && s.EndsWith(q, StringComparison.Ordinal) ? s[..^q.Length] : s;
            case "format": return StrFormat.Format(s, a);
            default: throw new RuntimeFailure($"'str' object has no attribute '{name}'");
        }
    }

    private static string Str(object? v) => PyOps.AsString(v) ?? throw new RuntimeFailure($"must be str, not {PyOps.TypeName(v)}");

    private static string? OptString(object? v) => v is null ? null : Str(v);

    private static string? CharsArg(CallArgs a) => OptString(a.Get(0, "chars"));

    private static long MaxSplit(CallArgs a) => a.Get(1, "maxsplit") is { } m ? PyOps.ToLong(m) : -1;

    private static bool Affix(string s, CallArgs a, Func<string, string, bool> test)
    {
        var arg = a.Get(0, "prefix");
        if (arg is PyTuple t) return t.Items.Any(x => test(s, Str(x)));
        return test(s, Str(arg));
    }

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var prevCased = false;
        foreach (var c in s)
        {
            sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? InsertEverywhere(s, replacement, long.MaxValue) : s.Replace(old, replacement, StringComparison.Ordinal);
        if (old.Length == 0) return InsertEverywhere(s, replacement, count);
        var sb = new StringBuilder();
        var pos = 0;
        for (long n = 0; n < count; n++)
        {
            var i = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (i < 0) break;
            sb.Append(s, pos, i - pos).Append(replacement);
            pos = i + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static string InsertEverywhere(string s, string ins, long count)
    {
        var sb = new StringBuilder();
        long n = 0;
        foreach (var ch in PyStr.Chars(s))
        {
            if (n++ < count) sb.Append(ins);
            sb.Append((string)ch!);
        }
        if (n < count) sb.Append(ins);
        return sb.ToString();
    }

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return (int)PyStr.Length(s) + 1;
        int n = 0, i = 0;
        while ((i = s.IndexOf(sub, i, StringComparison.Ordinal)) >= 0) { n++; i += sub.Length; }
        return n;
    }

    public static List<object?> Split(string s, string? sep, long maxSplit)
    {
        var parts = new List<object?>();
        if (sep is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && PyStr.IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count >= maxSplit)
                {
                    parts.Add(PyStr.Strip(s[i..], null, false, true));
                    break;
                }
                var start = i;
                while (i < s.Length && !PyStr.IsSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (sep.Length == 0) throw new RuntimeFailure("empty separator");
        var pos = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            var idx = s.IndexOf(sep, pos, StringComparison.Ordinal);
            if (idx < 0) break;
            parts.Add(s[pos..idx]);
            pos = idx + sep.Length;
        }
        parts.Add(s[pos..]);
        return parts;
    }

    private static List<object?> RSplit(string s, string? sep, long maxSplit)
    {
        if (maxSplit < 0 || sep is null) return Split(s, sep, maxSplit);
        if (sep.Length == 0) throw new RuntimeFailure("empty separator");
        var parts = new List<object?>();
        var end = s.Length;
        while (parts.Count < maxSplit)
        {
            var idx = end == 0 ? -1 : s.LastIndexOf(sep, end - 1, StringComparison.Ordinal);
            if (idx < 0 || idx + sep.Length > end) break;
            parts.Insert(0, s[(idx + sep.Length)..end]);
            end = idx;
        }
        parts.Insert(0, s[..end]);
        return parts;
    }
}
