using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Python str indexing works on code points, not UTF-16 units; these helpers do the same.</summary>
internal static class PyStr
{
    private static bool HasSurrogates(string s) => s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    public static long Length(string s)
    {
        if (!HasSurrogates(s)) return s.Length;
        long n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>The code points as one-character Python strings.</summary>
    public static IReadOnlyList<object?> Chars(string s)
    {
        var list = new List<object?>(s.Length);
        if (!HasSurrogates(s))
            foreach (var c in s) list.Add(c.ToString());
        else
            foreach (var r in s.EnumerateRunes()) list.Add(r.ToString());
        return list;
    }

    private static string[] Points(string s) => Chars(s).Select(x => (string)x!).ToArray();

    /// <summary>s[i] with Python's negative indexes; null when out of range.</summary>
    public static string? Index(string s, long i)
    {
        if (!HasSurrogates(s))
        {
            if (i < 0) i += s.Length;
            return i >= 0 && i < s.Length ? s[(int)i].ToString() : null;
        }
        var p = Points(s);
        if (i < 0) i += p.Length;
        return i >= 0 && i < p.Length ? p[i] : null;
    }

    public static string Slice(string s, long? start, long? stop, long? step)
    {
        if (!HasSurrogates(s))
        {
            var idx = Slicing.Indices(s.Length, start, stop, step);
            var sb = new StringBuilder();
            foreach (var i in idx) sb.Append(s[i]);
            return sb.ToString();
        }
        var p = Points(s);
        return string.Concat(Slicing.Indices(p.Length, start, stop, step).Select(i => p[i]));
    }

    /// <summary>Python str.isspace for one character (includes U+001C..U+001F, which .NET does not).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        int a = 0, b = s.Length;
        Func<char, bool> strip = chars is null ? IsSpace : c => chars.Contains(c);
        if (left) while (a < b && strip(s[a])) a++;
        if (right) while (b > a && strip(s[b - 1])) b--;
        return s[a..b];
    }

    /// <summary>Python str.splitlines (without keepends).</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                lines.Add(s[start..i]);
                i += c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1;
                start = i;
            }
            else i++;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }
}

/// <summary>Python slice index arithmetic (slice.indices).</summary>
internal static class Slicing
{
    public static IEnumerable<int> Indices(int length, long? start, long? stop, long? step)
    {
        var st = step ?? 1;
        if (st == 0) throw new RuntimeFailure("slice step cannot be zero");
        long lo, hi;
        if (st > 0)
        {
            lo = Clamp(start ?? 0, length, 0, length);
            hi = Clamp(stop ?? length, length, 0, length);
            for (var i = lo; i < hi; i += st) yield return (int)i;
        }
        else
        {
            lo = start is null ? length - 1 : Clamp(start.Value, length, -1, length - 1);
            hi = stop is null ? -1 : Clamp(stop.Value, length, -1, length - 1);
            for (var i = lo; i > hi; i += st) yield return (int)i;
        }
    }

    private static long Clamp(long v, int length, long min, long max)
    {
        if (v < 0) v += length;
        return Math.Clamp(v, min, max);
    }
}
