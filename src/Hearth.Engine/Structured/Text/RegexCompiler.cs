using System.Globalization;
using System.Text;

namespace Hearth.Engine.Structured.Text;

/// <summary>Compiles a regular expression (the common subset of ECMAScript/PCRE/.NET: literals, escapes, classes,
/// '.', groups, alternation, greedy/lazy quantifiers; ^ and $ only at the ends) into a grammar node that matches
/// exactly its language (full match). Backreferences, lookaround and word boundaries cannot be expressed by a
/// context-free grammar and are refused. With <c>jsonEscaped</c> the node produces the text as the inside of a JSON
/// string (quotes, backslashes and control characters escaped), for JSON Schema <c>pattern</c>.
/// \d, \w, \s are ASCII; their negations are the printable ASCII outside them (a subset every engine agrees on).</summary>
internal sealed class RegexCompiler
{
    private static readonly CodePointSet PrintableAscii = CodePointSet.Of((' ', '~'));
    private readonly int[] _p;
    private readonly bool _json;
    private readonly string _source;
    private int _i;

    private RegexCompiler(string pattern, bool jsonEscaped)
    {
        _source = pattern;
        _p = [.. pattern.EnumerateRunes().Select(r => r.Value)];
        _json = jsonEscaped;
    }

    public static GrammarNode Compile(string pattern, bool jsonEscaped = false)
    {
        var c = new RegexCompiler(pattern, jsonEscaped);
        if (c.Peek('^')) c._i++;
        var node = c.Alternation();
        if (c._i < c._p.Length) throw c.Error($"unexpected '{char.ConvertFromUtf32(c._p[c._i])}'");
        return node;
    }

    private GrammarNode Alternation()
    {
        var options = new List<GrammarNode> { Concatenation() };
        while (Peek('|'))
        {
            _i++;
            options.Add(Concatenation());
        }
        return GrammarNode.Choice(options);
    }

    private GrammarNode Concatenation()
    {
        var items = new List<GrammarNode>();
        while (_i < _p.Length && !Peek('|') && !Peek(')'))
        {
            if (Peek('$'))
            {
                _i++;
                if (_i < _p.Length && !Peek('|') && !Peek(')')) throw Error("'$' is supported only at the end");
                continue;
            }
            items.Add(Quantified(Atom()));
        }
        return items.Count == 1 ? items[0] : new GrammarNode.Seq(items);
    }

    private GrammarNode Quantified(GrammarNode atom)
    {
        while (_i < _p.Length)
        {
            int c = _p[_i];
            int min, max;
            if (c == '*') { min = 0; max = -1; _i++; }
            else if (c == '+') { min = 1; max = -1; _i++; }
            else if (c == '?') { min = 0; max = 1; _i++; }
            else if (c == '{' && TryBraces(out min, out max)) { }
            else return atom;
            if (Peek('?') || Peek('+')) _i++; // lazy / possessive: same language
            atom = GrammarNode.Times(atom, min, max < 0 ? null : max);
        }
        return atom;
    }

    private bool TryBraces(out int min, out int max)
    {
        min = max = 0;
        int close = Array.IndexOf(_p, '}', _i);
        if (close < 0) return false;
        string body = new([.. _p[(_i + 1)..close].Select(x => (char)x)]);
        string[] parts = body.Split(',');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out min)) return false;
        if (parts.Length == 1) max = min;
        else if (parts[1].Length == 0) max = -1;
        else if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out max)) return false;
        if (max >= 0 && max < min) throw Error($"quantifier {{{body}}} has max < min");
        if (Math.Max(min, max) > 10_000) throw Error($"quantifier {{{body}}} is too large (at most 10000)");
        _i = close + 1;
        return true;
    }

    private GrammarNode Atom()
    {
        int c = _p[_i++];
        switch (c)
        {
            case '(':
                if (Peek('?'))
                {
                    _i++;
                    if (Peek(':')) _i++;
                    else if (Peek('<') && _i + 1 < _p.Length && _p[_i + 1] != '=' && _p[_i + 1] != '!') SkipName('>');
                    else if (Peek('P') && _i + 1 < _p.Length && _p[_i + 1] == '<') { _i++; SkipName('>'); }
                    else throw Error("lookaround and inline options are not supported");
                }
                var inner = Alternation();
                if (!Peek(')')) throw Error("missing ')'");
                _i++;
                return inner;
            case '[':
                return Chars(ClassBody());
            case '.':
                return Chars(CodePointSet.Of(('\n', '\n')).Complement());
            case '\\':
                return Escape();
            case '*' or '+' or '?':
                throw Error($"nothing to repeat before '{(char)c}'");
            case '^':
                throw Error("'^' is supported only at the start");
            default:
                return Chars(CodePointSet.Of((c, c)));
        }
    }

    private void SkipName(char end)
    {
        int close = Array.IndexOf(_p, end, _i);
        if (close < 0) throw Error("unterminated group name");
        _i = close + 1;
    }

    private GrammarNode Escape()
    {
        if (_i >= _p.Length) throw Error("trailing backslash");
        int c = _p[_i];
        if (c is 'b' or 'B' or 'A' or 'z' or 'Z' or 'G' or 'k' || (c >= '1' && c <= '9'))
            throw Error($"'\\{(char)c}' (anchors, word boundaries, backreferences) cannot be enforced");
        return Chars(EscapeSet());
    }

    /// <summary>The set an escape (after the backslash) stands for; advances past it.</summary>
    private CodePointSet EscapeSet()
    {
        int c = _p[_i++];
        switch (c)
        {
            case 'd': return CodePointSet.Digits;
            case 'w': return CodePointSet.Word;
            case 's': return CodePointSet.Space;
            case 'D': return PrintableAscii.Without(CodePointSet.Digits);
            case 'W': return PrintableAscii.Without(CodePointSet.Word);
            case 'S': return PrintableAscii.Without(CodePointSet.Space);
            case 'n': return One('\n');
            case 'r': return One('\r');
            case 't': return One('\t');
            case 'f': return One('\f');
            case 'v': return One('\v');
            case '0': return One(0);
            case 'x': return One(Hex(2));
            case 'u':
                if (Peek('{'))
                {
                    int close = Array.IndexOf(_p, '}', _i);
                    if (close < 0) throw Error("unterminated \\u{...}");
                    _i++;
                    return One(Hex(close - _i));
                }
                return One(Hex(4));
            default:
                if (char.IsAsciiLetterOrDigit((char)Math.Min(c, 127)) && c < 128) throw Error($"unknown escape '\\{(char)c}'");
                return One(c);
        }
    }

    private static CodePointSet One(int c) => CodePointSet.Of((c, c));

    private int Hex(int digits)
    {
        if (_i + digits > _p.Length || digits == 0) throw Error("truncated hex escape");
        string s = new([.. _p[_i..(_i + digits)].Select(x => (char)x)]);
        if (!int.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v) || v > CodePointSet.MaxCodePoint)
            throw Error($"bad hex escape '{s}'");
        _i += digits;
        if (_i < _p.Length && _p[_i] == '}') _i++;
        return v;
    }

    private CodePointSet ClassBody()
    {
        bool negate = Peek('^');
        if (negate) _i++;
        var set = new CodePointSet();
        bool first = true;
        while (true)
        {
            if (_i >= _p.Length) throw Error("missing ']'");
            if (Peek(']') && !first) { _i++; break; }
            first = false;
            CodePointSet item;
            int lo;
            if (Peek('['))
                throw Error("nested character classes are not supported");
            if (Peek('\\'))
            {
                _i++;
                item = EscapeSet();
                if (item.Ranges.Count != 1 || item.Ranges[0].Lo != item.Ranges[0].Hi) { set.AddAll(item); continue; }
                lo = item.Ranges[0].Lo;
            }
            else lo = _p[_i++];
            if (Peek('-') && _i + 1 < _p.Length && _p[_i + 1] != ']')
            {
                _i++;
                int hi;
                if (Peek('\\'))
                {
                    _i++;
                    var h = EscapeSet();
                    if (h.Ranges.Count != 1 || h.Ranges[0].Lo != h.Ranges[0].Hi) throw Error("a class escape cannot end a range");
                    hi = h.Ranges[0].Lo;
                }
                else hi = _p[_i++];
                set.Add(lo, hi);
            }
            else set.Add(lo, lo);
        }
        return negate ? set.Complement() : set;
    }

    private GrammarNode Chars(CodePointSet set) => _json ? JsonStringChars.Node(set) : Utf8Ranges.Node(set);

    private bool Peek(char c) => _i < _p.Length && _p[_i] == c;

    private GrammarException Error(string what) => new($"regular expression '{_source}': {what}", "pattern");
}

/// <summary>Characters as they appear inside a JSON string: the raw UTF-8 for ordinary characters, an escape for a
/// quote, a backslash or a control character.</summary>
internal static class JsonStringChars
{
    private static readonly CodePointSet Special = CodePointSet.Of((0, 0x1F), ('"', '"'), ('\\', '\\'));

    public static GrammarNode Node(CodePointSet set)
    {
        var options = new List<GrammarNode>();
        var raw = set.Without(Special);
        if (raw.Ranges.Count > 0) options.Add(Utf8Ranges.Node(raw));
        foreach (var (lo, hi) in set.Ranges)
            for (int c = lo; c <= Math.Min(hi, 0x5C); c++)
                if (Special.Contains(c)) options.Add(GrammarNode.Literal(Escape(c)));
        if (options.Count == 0) throw new GrammarException("a character class matches nothing", "pattern");
        return GrammarNode.Choice(options);
    }

    public static string Escape(int c) => c switch
    {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ => "\\u" + c.ToString("x4", CultureInfo.InvariantCulture),
    };

    /// <summary>A whole literal string as JSON string content (escaped).</summary>
    public static string EscapeText(string s)
    {
        var sb = new StringBuilder();
        foreach (var r in s.EnumerateRunes())
            sb.Append(Special.Contains(r.Value) ? Escape(r.Value) : r.ToString());
        return sb.ToString();
    }
}
