using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Python str.format with plain fields: {}, {0}, {name} (no format specs or conversions beyond !s/!r).</summary>
internal static class StrFormat
{
    public static string Format(string fmt, CallArgs a)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < fmt.Length; i++)
        {
            var c = fmt[i];
            if (c == '{' && i + 1 < fmt.Length && fmt[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < fmt.Length && fmt[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c == '}') throw new RuntimeFailure("Single '}' encountered in format string");
            if (c != '{') { sb.Append(c); continue; }
            var end = fmt.IndexOf('}', i);
            if (end < 0) throw new RuntimeFailure("Single '{' encountered in format string");
            var field = fmt[(i + 1)..end];
            var repr = false;
            if (field.EndsWith("!r", StringComparison.Ordinal)) { repr = true; field = field[..^2]; }
            else if (field.EndsWith("!s", StringComparison.Ordinal)) field = field[..^2];
            if (field.Contains(':')) throw new RuntimeFailure("format specifications are not supported");
            object? value;
            if (field.Length == 0) value = Positional(a, auto++);
            else if (int.TryParse(field, out var n)) value = Positional(a, n);
            else value = a.Named.FirstOrDefault(kv => kv.Key == field) is { Key: not null } kv ? kv.Value : throw new RuntimeFailure($"KeyError: '{field}'");
            sb.Append(repr ? PyRepr.Repr(value) : PyRepr.Str(value));
            i = end;
        }
        return sb.ToString();
    }

    private static object? Positional(CallArgs a, int i) =>
        i < a.Positional.Count ? a.Positional[i] : throw new RuntimeFailure($"Replacement index {i} out of range for positional args tuple");
}
