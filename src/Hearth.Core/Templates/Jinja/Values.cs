namespace Hearth.Core.Templates.Jinja;

// The Python-like value model. Values are plain CLR objects:
//   null = None, bool, long = int, double = float, string = str, Markup, List<object?> = list, PyTuple,
//   PyDict (insertion-ordered dict), Namespace, Undefined, Macro, PyFunction, BoundMethod, LoopContext.

/// <summary>jinja2's default Undefined: prints empty, is falsy, iterates as empty; most operations raise.</summary>
internal sealed class Undefined(string hint)
{
    /// <summary>What the error says when the undefined value is used ("'x' is undefined").</summary>
    public string Hint { get; } = hint;

    public static Undefined Named(string name) => new($"'{name}' is undefined");

    public static Undefined NoAttribute(object? obj, string name) =>
        new($"'{PyOps.TypeName(obj)} object' has no attribute '{name}'");

    public static Undefined NoElement(object? obj, object? key) =>
        new($"'{PyOps.TypeName(obj)} object' has no element {PyRepr.Repr(key)}");
}

/// <summary>markupsafe.Markup: a string marked safe; adding plain strings to it HTML-escapes them.</summary>
internal sealed class Markup(string value)
{
    public string Value { get; } = value;

    public override string ToString() => Value;

    /// <summary>markupsafe.escape for a plain string.</summary>
    public static string Escape(string s)
    {
        if (s.AsSpan().IndexOfAny("&<>'\"") < 0) return s;
        var sb = new System.Text.StringBuilder(s.Length + 16);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\'' => "&#39;",
                '"' => "&#34;",
                _ => null,
            });
            if (c is not ('&' or '<' or '>' or '\'' or '"')) sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>A Python tuple (immutable sequence; prints with parentheses).</summary>
internal sealed class PyTuple(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;
}

/// <summary>jinja2's namespace(): an object whose attributes templates may assign with {% set ns.x = … %}.</summary>
internal sealed class Namespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>A Python callable provided by the environment (globals such as range, namespace, raise_exception).</summary>
internal sealed class PyFunction(string name, Func<CallArgs, object?> impl)
{
    public string Name { get; } = name;
    public Func<CallArgs, object?> Impl { get; } = impl;
}

/// <summary>A method looked up on a value (<c>s.strip</c>, <c>d.items</c>) and not yet called.</summary>
internal sealed class BoundMethod(object? self, string name)
{
    public object? Self { get; } = self;
    public string Name { get; } = name;
}

/// <summary>Evaluated call arguments.</summary>
internal sealed class CallArgs(List<object?> positional, List<KeyValuePair<string, object?>> named, int line, int column)
{
    public List<object?> Positional { get; } = positional;
    public List<KeyValuePair<string, object?>> Named { get; } = named;
    public int Line { get; } = line;
    public int Column { get; } = column;

    /// <summary>Argument <paramref name="index"/> by position or <paramref name="name"/> by keyword, else the default.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < Positional.Count) return Positional[index];
        foreach (var kv in Named)
            if (kv.Key == name) return kv.Value;
        return fallback;
    }

    public bool Has(int index, string name)
    {
        if (index >= 0 && index < Positional.Count) return true;
        foreach (var kv in Named)
            if (kv.Key == name) return true;
        return false;
    }
}
