using System.Globalization;
using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Decodes a backslash escape in a string literal the way Python's unicode-escape codec does.</summary>
internal static class StringEscapes
{
    /// <summary><paramref name="pos"/> is just after the backslash; appends the decoded text and advances.</summary>
    public static void Decode(string src, ref int pos, StringBuilder sb)
    {
        var c = src[pos++];
        switch (c)
        {
            case 'n': sb.Append('\n'); return;
            case 't': sb.Append('\t'); return;
            case 'r': sb.Append('\r'); return;
            case '\\': sb.Append('\\'); return;
            case '\'': sb.Append('\''); return;
            case '"': sb.Append('"'); return;
            case 'a': sb.Append('\a'); return;
            case 'b': sb.Append('\b'); return;
            case 'f': sb.Append('\f'); return;
            case 'v': sb.Append('\v'); return;
            case '\n': return; // line continuation
            case 'x': AppendHex(src, ref pos, 2, sb); return;
            case 'u': AppendHex(src, ref pos, 4, sb); return;
            case 'U': AppendHex(src, ref pos, 8, sb); return;
        }
        if (c is >= '0' and <= '7')
        {
            var v = c - '0';
            for (var k = 0; k < 2 && pos < src.Length && src[pos] is >= '0' and <= '7'; k++) v = v * 8 + (src[pos++] - '0');
            sb.Append((char)v);
            return;
        }
        // Unknown escapes stay as written.
        sb.Append('\\').Append(c);
    }

    private static void AppendHex(string src, ref int pos, int n, StringBuilder sb)
    {
        if (pos + n > src.Length || !int.TryParse(src.AsSpan(pos, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
            throw new TemplateException("truncated \\" + (n == 2 ? "x" : n == 4 ? "u" : "U") + " escape in string literal", 0, 0);
        pos += n;
        sb.Append(char.ConvertFromUtf32(v));
    }
}
