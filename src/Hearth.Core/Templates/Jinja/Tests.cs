namespace Hearth.Core.Templates.Jinja;

/// <summary>jinja2's tests (<c>x is defined</c>, <c>x is string</c>, <c>x is divisibleby 3</c>, …).</summary>
internal static class Tests
{
    public static bool Exists(string name) => Known.Contains(name);

    private static readonly HashSet<string> Known =
    [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping",
        "iterable", "sequence", "callable", "escaped", "in", "divisibleby", "even", "odd", "lower", "upper", "sameas",
        "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
        "filter", "test",
    ];

    public static bool Run(string name, object? v, CallArgs a)
    {
        object? Arg() => a.Positional.Count > 0 ? a.Positional[0] : a.Named.Count > 0 ? a.Named[0].Value
            : throw new RuntimeFailure($"test '{name}' needs an argument");
        return name switch
        {
            "defined" => v is not Undefined,
            "undefined" => v is Undefined,
            "none" => v is null,
            "boolean" => v is bool,
            "true" => v is true,
            "false" => v is false,
            "integer" => v is long,
            "float" => v is double,
            "number" => v is bool or long or double,
            "string" => v is string or Markup,
            "mapping" => v is PyDict,
            "iterable" => PyOps.IsIterable(v),
            "sequence" => v is string or Markup or List<object?> or PyTuple or PyDict or Undefined,
            "callable" => v is Macro or PyFunction or BoundMethod,
            "escaped" => v is Markup,
            "in" => PyOps.Contains(Arg(), v),
            "divisibleby" => PyOps.ToLong(v) % PyOps.ToLong(Arg()) == 0,
            "even" => PyOps.ToLong(v) % 2 == 0,
            "odd" => PyOps.ToLong(v) % 2 != 0,
            "lower" => (bool)StringMethods.Call(PyRepr.Str(v), "islower", a)!,
            "upper" => (bool)StringMethods.Call(PyRepr.Str(v), "isupper", a)!,
            "sameas" => SameAs(v, Arg()),
            "eq" or "equalto" or "==" => PyOps.PyEquals(v, Arg()),
            "ne" or "!=" => !PyOps.PyEquals(v, Arg()),
            "lt" or "lessthan" or "<" => PyOps.Compare(v, Arg(), "<") < 0,
            "le" or "<=" => PyOps.Compare(v, Arg(), "<=") <= 0,
            "gt" or "greaterthan" or ">" => PyOps.Compare(v, Arg(), ">") > 0,
            "ge" or ">=" => PyOps.Compare(v, Arg(), ">=") >= 0,
            "filter" => Filters.Exists(PyRepr.Str(v)),
            "test" => Exists(PyRepr.Str(v)),
            _ => throw new RuntimeFailure($"No test named '{name}'."),
        };
    }

    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y && x is >= -5 and <= 256, // CPython caches small ints
        _ => ReferenceEquals(a, b),
    };
}
