using System.Globalization;
using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Python's printf-style <c>"fmt" % args</c> for the common conversions (%s %r %d %i %f %%).</summary>
internal static class PercentFormat
{
    public static string Format(string fmt, object? args)
    {
        var values = args is PyTuple t ? t.Items : [args];
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < fmt.Length; i++)
        {
            var c = fmt[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= fmt.Length) throw new RuntimeFailure("incomplete format");
            int? precision = null;
            if (fmt[i] == '.')
            {
                var start = ++i;
                while (i < fmt.Length && char.IsAsciiDigit(fmt[i])) i++;
                precision = int.Parse(fmt.AsSpan(start, i - start), CultureInfo.InvariantCulture);
                if (i >= fmt.Length) throw new RuntimeFailure("incomplete format");
            }
            var conv = fmt[i];
            if (conv == '%') { sb.Append('%'); continue; }
            if (next >= values.Count) throw new RuntimeFailure("not enough arguments for format string");
            var v = values[next++];
            sb.Append(conv switch
            {
                's' => PyRepr.Str(v),
                'r' => PyRepr.Repr(v),
                'd' or 'i' => PyOps.IsNumber(v) ? ((long)Math.Truncate(PyOps.ToDouble(v))).ToString(CultureInfo.InvariantCulture)
                    : throw new RuntimeFailure($"%{conv} format: a real number is required, not {PyOps.TypeName(v)}"),
                'f' => PyOps.ToDouble(v).ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture),
                _ => throw new RuntimeFailure($"unsupported format character '{conv}'"),
            });
        }
        if (next < values.Count) throw new RuntimeFailure("not all arguments converted during string formatting");
        return sb.ToString();
    }
}
