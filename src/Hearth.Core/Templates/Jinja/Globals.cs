using System.Globalization;
using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Template globals: jinja2's range, dict, namespace, plus HF transformers' raise_exception and strftime_now.</summary>
internal static class Globals
{
    private const long MaxRange = 100_000; // jinja2's sandbox MAX_RANGE

    public static void Install(Scope scope, ChatTemplateOptions options)
    {
        scope.Set("range", new PyFunction("range", Range));
        scope.Set("dict", new PyFunction("dict", Dict));
        scope.Set("namespace", new PyFunction("namespace", MakeNamespace));
        scope.Set("raise_exception", new PyFunction("raise_exception", a => throw new RuntimeFailure(PyRepr.Str(a.Get(0, "message")))));
        scope.Set("strftime_now", new PyFunction("strftime_now", a =>
            Strftime(options.Clock.GetLocalNow(), PyRepr.Str(a.Get(0, "format", "%Y-%m-%d %H:%M:%S")))));
    }

    private static object? Range(CallArgs a)
    {
        var p = a.Positional.Select(PyOps.ToLong).ToList();
        var (start, stop, step) = p.Count switch
        {
            1 => (0L, p[0], 1L),
            2 => (p[0], p[1], 1L),
            3 => (p[0], p[1], p[2]),
            _ => throw new RuntimeFailure($"range expected 1 to 3 arguments, got {p.Count}"),
        };
        if (step == 0) throw new RuntimeFailure("range() arg 3 must not be zero");
        var count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > MaxRange) throw new RuntimeFailure($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        var list = new List<object?>((int)count);
        for (long i = 0, v = start; i < count; i++, v += step) list.Add(v);
        return list;
    }

    private static PyDict Dict(CallArgs a)
    {
        var d = new PyDict();
        if (a.Positional.Count > 0)
        {
            if (a.Positional[0] is PyDict src)
                foreach (var e in src.Entries) d.Set(e.Key, e.Value);
            else
                foreach (var pair in PyOps.Iterate(a.Positional[0]))
                {
                    var kv = PyOps.Iterate(pair).ToList();
                    if (kv.Count != 2) throw new RuntimeFailure("dictionary update sequence element has wrong length");
                    d.Set(kv[0], kv[1]);
                }
        }
        foreach (var kv in a.Named) d.Set(kv.Key, kv.Value);
        return d;
    }

    private static Namespace MakeNamespace(CallArgs a)
    {
        var ns = new Namespace();
        foreach (var e in Dict(a).Entries) ns.Attributes.Set(e.Key, e.Value);
        return ns;
    }

    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>Python's time.strftime for the C-locale directives.</summary>
    public static string Strftime(DateTimeOffset t, string fmt)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            var c = fmt[++i];
            var hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
            sb.Append(c switch
            {
                'd' => t.Day.ToString("00", inv),
                'e' => t.Day.ToString(inv).PadLeft(2),
                'm' => t.Month.ToString("00", inv),
                'Y' => t.Year.ToString(inv),
                'y' => (t.Year % 100).ToString("00", inv),
                'H' => t.Hour.ToString("00", inv),
                'I' => hour12.ToString("00", inv),
                'M' => t.Minute.ToString("00", inv),
                'S' => t.Second.ToString("00", inv),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", inv),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'b' or 'h' => Months[t.Month - 1][..3],
                'B' => Months[t.Month - 1],
                'a' => Days[(int)t.DayOfWeek][..3],
                'A' => Days[(int)t.DayOfWeek],
                'w' => ((int)t.DayOfWeek).ToString(inv),
                'j' => t.DayOfYear.ToString("000", inv),
                'z' => (t.Offset < TimeSpan.Zero ? "-" : "+") + t.Offset.Duration().ToString("hhmm", inv),
                'F' => t.ToString("yyyy-MM-dd", inv),
                'T' => t.ToString("HH:mm:ss", inv),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }
}
