using System.Globalization;
using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Python's str() and repr() of values, as jinja2 prints them.</summary>
internal static class PyRepr
{
    public static string Str(object? v) => v switch
    {
        string s => s,
        Markup m => m.Value,
        Undefined => "",
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null: sb.Append("None"); break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(Float(d)); break;
            case string s: AppendStringRepr(sb, s); break;
            case Markup m: sb.Append("Markup("); AppendStringRepr(sb, m.Value); sb.Append(')'); break;
            case Undefined: break;
            case List<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, list[i]);
                }
                sb.Append(']');
                break;
            case PyTuple t:
                sb.Append('(');
                for (var i = 0; i < t.Items.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, t.Items[i]);
                }
                if (t.Items.Count == 1) sb.Append(',');
                sb.Append(')');
                break;
            case PyDict d:
                sb.Append('{');
                var first = true;
                foreach (var kv in d.Entries)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, kv.Key);
                    sb.Append(": ");
                    AppendRepr(sb, kv.Value);
                }
                sb.Append('}');
                break;
            case Namespace ns: sb.Append("<Namespace "); AppendRepr(sb, ns.Attributes); sb.Append('>'); break;
            case Macro m: sb.Append("<Macro '").Append(m.Name).Append("'>"); break;
            case PyFunction f: sb.Append("<built-in function ").Append(f.Name).Append('>'); break;
            case BoundMethod bm: sb.Append("<built-in method ").Append(bm.Name).Append(" of ").Append(PyOps.TypeName(bm.Self)).Append(" object>"); break;
            case LoopContext: sb.Append("<LoopContext>"); break;
            default: sb.Append(v); break;
        }
    }

    /// <summary>Python repr of a str: single quotes unless the text has ' and no ", escapes like CPython.</summary>
    public static void AppendStringRepr(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (var rune in s.EnumerateRunes())
        {
            var c = rune.Value;
            if (c == quote || c == '\\') sb.Append('\\').Append((char)c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
            else if (c < 0x7f || IsPrintable(rune)) sb.Append(rune.ToString());
            else if (c < 0x100) sb.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
            else if (c < 0x10000) sb.Append("\\u").Append(c.ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append("\\U").Append(c.ToString("x8", CultureInfo.InvariantCulture));
        }
        sb.Append(quote);
    }

    private static bool IsPrintable(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        return cat is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator) || r.Value == ' ';
    }

    /// <summary>Python float repr: shortest round-trip digits, exponent form when the exponent is &lt; -4 or &gt;= 16.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // The shortest round-trip representation ("R"), decomposed into digits and a decimal point position.
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var neg = r[0] == '-';
        if (neg) r = r[1..];
        var exp = 0;
        var ei = r.IndexOfAny(['E', 'e']);
        if (ei >= 0)
        {
            exp = int.Parse(r[(ei + 1)..], CultureInfo.InvariantCulture);
            r = r[..ei];
        }
        var dot = r.IndexOf('.');
        var intPart = dot >= 0 ? r[..dot] : r;
        var frac = dot >= 0 ? r[(dot + 1)..] : "";
        var digits = (intPart + frac).TrimStart('0');
        var leadingZeros = (intPart + frac).Length - digits.Length;
        var decpt = intPart.Length + exp - leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var sb = new StringBuilder();
        if (neg) sb.Append('-');
        if (decpt > 16 || decpt <= -4)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            var e = decpt - 1;
            sb.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decpt <= 0) sb.Append("0.").Append('0', -decpt).Append(digits);
        else if (decpt >= digits.Length) sb.Append(digits).Append('0', decpt - digits.Length).Append(".0");
        else sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
        return sb.ToString();
    }
}
