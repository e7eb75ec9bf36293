namespace Hearth.Core.Templates.Jinja;

/// <summary>Python arithmetic on template values (int/float/str/list, and markupsafe's escaping "+").</summary>
internal static class Arith
{
    private const long MaxRepeat = 16 * 1024 * 1024;

    private static RuntimeFailure Unsupported(string op, object? a, object? b)
    {
        if (a is Undefined ua) return new RuntimeFailure(ua.Hint);
        if (b is Undefined ub) return new RuntimeFailure(ub.Hint);
        if (op == "+" && a is string) return new RuntimeFailure($"can only concatenate str (not \"{PyOps.TypeName(b)}\") to str");
        if (op == "+" && a is List<object?>) return new RuntimeFailure($"can only concatenate list (not \"{PyOps.TypeName(b)}\") to list");
        return new RuntimeFailure($"unsupported operand type(s) for {op}: '{PyOps.TypeName(a)}' and '{PyOps.TypeName(b)}'");
    }

    private static bool Ints(object? a, object? b) => a is long or bool && b is long or bool;

    public static object? Add(object? a, object? b)
    {
        if (a is Markup || b is Markup)
        {
            if (PyOps.AsString(a) is null || PyOps.AsString(b) is null) throw Unsupported("+", a, b);
            return new Markup(Escaped(a) + Escaped(b));
        }
        if (Ints(a, b))
        {
            var (x, y) = (PyOps.ToLong(a), PyOps.ToLong(b));
            var r = x + y;
            return ((x ^ r) & (y ^ r)) < 0 ? (object)((double)x + y) : r;
        }
        if (PyOps.IsNumber(a) && PyOps.IsNumber(b)) return PyOps.ToDouble(a) + PyOps.ToDouble(b);
        if (a is string sa && b is string sb) return sa + sb;
        if (a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
        if (a is PyTuple ta && b is PyTuple tb) return new PyTuple(ta.Items.Concat(tb.Items).ToArray());
        throw Unsupported("+", a, b);
    }

    private static string Escaped(object? v) => v is Markup m ? m.Value : Markup.Escape((string)v!);

    public static object? Sub(object? a, object? b)
    {
        if (Ints(a, b)) return PyOps.ToLong(a) - PyOps.ToLong(b);
        if (PyOps.IsNumber(a) && PyOps.IsNumber(b)) return PyOps.ToDouble(a) - PyOps.ToDouble(b);
        throw Unsupported("-", a, b);
    }

    public static object? Mul(object? a, object? b)
    {
        if (Ints(a, b)) return PyOps.ToLong(a) * PyOps.ToLong(b);
        if (PyOps.IsNumber(a) && PyOps.IsNumber(b)) return PyOps.ToDouble(a) * PyOps.ToDouble(b);
        if (b is string or List<object?> && a is long or bool) (a, b) = (b, a);
        if (a is string s && b is long or bool)
        {
            var n = Math.Max(0, PyOps.ToLong(b));
            if (n * s.Length > MaxRepeat) throw new RuntimeFailure("string repetition result is too large");
            return string.Concat(Enumerable.Repeat(s, (int)n));
        }
        if (a is List<object?> l && b is long or bool)
        {
            var n = Math.Max(0, PyOps.ToLong(b));
            if (n * l.Count > MaxRepeat) throw new RuntimeFailure("list repetition result is too large");
            return Enumerable.Repeat(l, (int)n).SelectMany(x => x).ToList();
        }
        throw Unsupported("*", a, b);
    }

    public static object? Div(object? a, object? b)
    {
        if (!PyOps.IsNumber(a) || !PyOps.IsNumber(b)) throw Unsupported("/", a, b);
        var y = PyOps.ToDouble(b);
        if (y == 0) throw new RuntimeFailure("division by zero");
        return PyOps.ToDouble(a) / y;
    }

    public static object? FloorDiv(object? a, object? b)
    {
        if (Ints(a, b))
        {
            var (x, y) = (PyOps.ToLong(a), PyOps.ToLong(b));
            if (y == 0) throw new RuntimeFailure("integer division or modulo by zero");
            var q = x / y;
            return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
        }
        if (!PyOps.IsNumber(a) || !PyOps.IsNumber(b)) throw Unsupported("//", a, b);
        var d = PyOps.ToDouble(b);
        if (d == 0) throw new RuntimeFailure("float floor division by zero");
        return Math.Floor(PyOps.ToDouble(a) / d);
    }

    public static object? Mod(object? a, object? b)
    {
        if (Ints(a, b))
        {
            var (x, y) = (PyOps.ToLong(a), PyOps.ToLong(b));
            if (y == 0) throw new RuntimeFailure("integer division or modulo by zero");
            var r = x % y;
            return r != 0 && (r < 0) != (y < 0) ? r + y : r;
        }
        if (PyOps.IsNumber(a) && PyOps.IsNumber(b))
        {
            var (x, y) = (PyOps.ToDouble(a), PyOps.ToDouble(b));
            if (y == 0) throw new RuntimeFailure("float modulo");
            var r = x % y;
            return r != 0 && (r < 0) != (y < 0) ? r + y : r;
        }
        if (PyOps.AsString(a) is { } fmt) return PercentFormat.Format(fmt, b);
        throw Unsupported("%", a, b);
    }

    public static object? Pow(object? a, object? b)
    {
        if (Ints(a, b) && PyOps.ToLong(b) >= 0)
        {
            // Exponentiation by squaring; falls back to float on overflow (Python would use big ints).
            long result = 1, x = PyOps.ToLong(a), n = PyOps.ToLong(b);
            try
            {
                for (long e = n, bas = x; e > 0; e >>= 1)
                {
                    if ((e & 1) == 1) result = checked(result * bas);
                    if (e > 1) bas = checked(bas * bas);
                }
                return result;
            }
            catch (OverflowException)
            {
                return Math.Pow(x, n);
            }
        }
        if (PyOps.IsNumber(a) && PyOps.IsNumber(b)) return Math.Pow(PyOps.ToDouble(a), PyOps.ToDouble(b));
        throw Unsupported("** or pow()", a, b);
    }

    public static object? Negate(object? v) => v switch
    {
        bool or long => (object)(-PyOps.ToLong(v)),
        double d => -d,
        Undefined u => throw new RuntimeFailure(u.Hint),
        _ => throw new RuntimeFailure($"bad operand type for unary -: '{PyOps.TypeName(v)}'"),
    };

    public static object? Plus(object? v) => v switch
    {
        bool or long => (object)PyOps.ToLong(v),
        double d => d,
        Undefined u => throw new RuntimeFailure(u.Hint),
        _ => throw new RuntimeFailure($"bad operand type for unary +: '{PyOps.TypeName(v)}'"),
    };
}
