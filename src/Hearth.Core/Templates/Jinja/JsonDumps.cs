using System.Globalization;
using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Python json.dumps(obj, ensure_ascii, indent, separators, sort_keys), which HF transformers uses for tojson.</summary>
internal static class JsonDumps
{
    public static string Dumps(object? value, bool ensureAscii, int? indent, string? itemSep, string? keySep, bool sortKeys)
    {
        itemSep ??= indent is null ? ", " : ",";
        keySep ??= ": ";
        var sb = new StringBuilder();
        Write(sb, value, ensureAscii, indent, itemSep, keySep, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? v, bool ascii, int? indent, string itemSep, string keySep, bool sortKeys, int depth)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyRepr.Float(d));
                break;
            case string s: WriteString(sb, s, ascii); break;
            case Markup m: WriteString(sb, m.Value, ascii); break;
            case List<object?> list: WriteArray(sb, list, ascii, indent, itemSep, keySep, sortKeys, depth); break;
            case PyTuple t: WriteArray(sb, t.Items, ascii, indent, itemSep, keySep, sortKeys, depth); break;
            case PyDict dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                IEnumerable<KeyValuePair<object?, object?>> entries = dict.Entries;
                if (sortKeys)
                    entries = entries.OrderBy(e => e.Key, Comparer<object?>.Create((a, b) => PyOps.Compare(a, b, "<"))).ToList();
                sb.Append('{');
                var first = true;
                foreach (var kv in entries)
                {
                    if (!first) sb.Append(itemSep);
                    first = false;
                    NewLine(sb, indent, depth + 1);
                    WriteString(sb, KeyText(kv.Key), ascii);
                    sb.Append(keySep);
                    Write(sb, kv.Value, ascii, indent, itemSep, keySep, sortKeys, depth + 1);
                }
                NewLine(sb, indent, depth);
                sb.Append('}');
                break;
            default:
                throw new RuntimeFailure($"Object of type {PyOps.TypeName(v)} is not JSON serializable");
        }
    }

    private static string KeyText(object? key) => key switch
    {
        string s => s,
        Markup m => m.Value,
        null => "null",
        bool b => b ? "true" : "false",
        long or double => PyRepr.Str(key),
        _ => throw new RuntimeFailure($"keys must be str, int, float, bool or None, not {PyOps.TypeName(key)}"),
    };

    private static void WriteArray(StringBuilder sb, IReadOnlyList<object?> items, bool ascii, int? indent, string itemSep, string keySep, bool sortKeys, int depth)
    {
        if (items.Count == 0) { sb.Append("[]"); return; }
        sb.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(itemSep);
            NewLine(sb, indent, depth + 1);
            Write(sb, items[i], ascii, indent, itemSep, keySep, sortKeys, depth + 1);
        }
        NewLine(sb, indent, depth);
        sb.Append(']');
    }

    private static void NewLine(StringBuilder sb, int? indent, int depth)
    {
        if (indent is not { } n) return;
        sb.Append('\n').Append(' ', n * depth);
    }

    public static void WriteString(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    // UTF-16 units map one-to-one onto json's \uXXXX escapes (surrogate pairs included).
                    if (c < 0x20 || (ascii && c > 0x7e))
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
