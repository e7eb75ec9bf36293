using System.Globalization;

namespace Hearth.Engine.Structured.Text;

/// <summary>Parses llama.cpp's GBNF: <c>name ::= body</c> rules (the start rule is <c>root</c>), literals "…" with
/// escapes (\n \r \t \" \\ \xHH \uHHHH \UHHHHHHHH), classes [...] and [^...], '.', groups, alternation, and the
/// quantifiers * + ? {m} {m,} {m,n}; '#' comments. A rule body runs until the next <c>name ::=</c>.</summary>
internal sealed class GbnfParser
{
    private readonly string _s;
    private readonly GrammarBuilder _b = new();
    private int _i;

    private GbnfParser(string source) => _s = source;

    public static Grammar Parse(string source)
    {
        var p = new GbnfParser(source);
        p.Rules();
        return p._b.Build(p._b.Rule("root"));
    }

    private void Rules()
    {
        var defined = new HashSet<string>();
        SkipSpace();
        if (_i >= _s.Length) throw Error("the grammar is empty");
        while (_i < _s.Length)
        {
            string name = Name();
            SkipSpace();
            if (!_s.AsSpan(_i).StartsWith("::=")) throw Error($"expected '::=' after '{name}'");
            _i += 3;
            if (!defined.Add(name)) throw Error($"rule '{name}' is defined twice");
            _b.Define(_b.Rule(name), Alternatives());
            SkipSpace();
        }
        if (!defined.Contains("root")) throw Error("the grammar has no 'root' rule");
    }

    private GrammarNode Alternatives()
    {
        var options = new List<GrammarNode> { Sequence() };
        while (Peek('|'))
        {
            _i++;
            options.Add(Sequence());
        }
        return GrammarNode.Choice(options);
    }

    private GrammarNode Sequence()
    {
        var items = new List<GrammarNode>();
        while (true)
        {
            SkipSpace();
            if (_i >= _s.Length || Peek('|') || Peek(')') || AtRuleStart()) break;
            items.Add(Quantified(Primary()));
        }
        return items.Count == 1 ? items[0] : new GrammarNode.Seq(items);
    }

    private GrammarNode Quantified(GrammarNode atom)
    {
        while (_i < _s.Length)
        {
            char c = _s[_i];
            if (c == '*') { _i++; atom = GrammarNode.Star(atom); }
            else if (c == '+') { _i++; atom = GrammarNode.Plus(atom); }
            else if (c == '?') { _i++; atom = GrammarNode.Optional(atom); }
            else if (c == '{')
            {
                int close = _s.IndexOf('}', _i);
                if (close < 0) throw Error("missing '}'");
                string[] parts = _s[(_i + 1)..close].Split(',');
                int min = ParseCount(parts[0]);
                int? max = parts.Length == 1 ? min : parts[1].Trim().Length == 0 ? null : ParseCount(parts[1]);
                if (parts.Length > 2 || max < min) throw Error($"bad repetition '{_s[_i..(close + 1)]}'");
                _i = close + 1;
                atom = GrammarNode.Times(atom, min, max);
            }
            else break;
        }
        return atom;
    }

    private int ParseCount(string s)
    {
        if (!int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > 10_000) throw Error($"bad repetition count '{s}'");
        return n;
    }

    private GrammarNode Primary()
    {
        char c = _s[_i];
        if (c == '"')
        {
            _i++;
            var text = new System.Text.StringBuilder();
            while (true)
            {
                if (_i >= _s.Length) throw Error("unterminated string literal");
                if (_s[_i] == '"') { _i++; break; }
                text.Append(char.ConvertFromUtf32(Char()));
            }
            return text.Length == 0 ? GrammarNode.Empty : GrammarNode.Literal(text.ToString());
        }
        if (c == '[')
        {
            _i++;
            bool negate = Peek('^');
            if (negate) _i++;
            var set = new CodePointSet();
            while (!Peek(']'))
            {
                if (_i >= _s.Length) throw Error("unterminated character class");
                int lo = Char();
                int hi = lo;
                if (Peek('-') && _i + 1 < _s.Length && _s[_i + 1] != ']')
                {
                    _i++;
                    hi = Char();
                }
                set.Add(lo, hi);
            }
            _i++;
            return Utf8Ranges.Node(negate ? set.Complement() : set);
        }
        if (c == '.') { _i++; return Utf8Ranges.Node(CodePointSet.Of((0, CodePointSet.MaxCodePoint))); }
        if (c == '(')
        {
            _i++;
            var inner = Alternatives();
            SkipSpace();
            if (!Peek(')')) throw Error("missing ')'");
            _i++;
            return inner;
        }
        if (IsNameChar(c)) return new GrammarNode.Ref(_b.Rule(Name()));
        throw Error($"unexpected '{c}'");
    }

    /// <summary>One character of a literal or class, with escapes; returns its code point.</summary>
    private int Char()
    {
        if (_s[_i] != '\\')
        {
            int cp = char.ConvertToUtf32(_s, _i);
            _i += char.IsSurrogatePair(_s, _i) ? 2 : 1;
            return cp;
        }
        _i++;
        if (_i >= _s.Length) throw Error("trailing backslash");
        char e = _s[_i++];
        return e switch
        {
            'n' => '\n', 'r' => '\r', 't' => '\t', '\\' => '\\', '"' => '"', '[' => '[', ']' => ']', '-' => '-', '^' => '^',
            'x' => Hex(2), 'u' => Hex(4), 'U' => Hex(8),
            _ => throw Error($"unknown escape '\\{e}'"),
        };
    }

    private int Hex(int n)
    {
        if (_i + n > _s.Length || !int.TryParse(_s.AsSpan(_i, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v) || v > CodePointSet.MaxCodePoint)
            throw Error("bad hex escape");
        _i += n;
        return v;
    }

    private string Name()
    {
        int start = _i;
        while (_i < _s.Length && IsNameChar(_s[_i])) _i++;
        if (_i == start) throw Error("expected a rule name");
        return _s[start.._i];
    }

    private bool AtRuleStart()
    {
        int j = _i;
        while (j < _s.Length && IsNameChar(_s[j])) j++;
        if (j == _i) return false;
        while (j < _s.Length && (_s[j] == ' ' || _s[j] == '\t' || _s[j] == '\r' || _s[j] == '\n')) j++;
        return _s.AsSpan(j).StartsWith("::=");
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_';

    private void SkipSpace()
    {
        while (_i < _s.Length)
        {
            if (char.IsWhiteSpace(_s[_i])) _i++;
            else if (_s[_i] == '#')
                while (_i < _s.Length && _s[_i] != '\n') _i++;
            else break;
        }
    }

    private bool Peek(char c) => _i < _s.Length && _s[_i] == c;

    private GrammarException Error(string what)
    {
        int line = 1 + _s.AsSpan(0, Math.Min(_i, _s.Length)).Count('\n');
        return new GrammarException($"grammar (GBNF) line {line}: {what}", null, "grammar");
    }
}
