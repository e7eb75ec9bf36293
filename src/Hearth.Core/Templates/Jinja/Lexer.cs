using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Splits template source into tokens exactly as jinja2's lexer does with trim_blocks=True and
/// lstrip_blocks=True: text, {{ }}, {% %} (comments dropped), with "-"/"+" whitespace control.</summary>
internal sealed partial class Lexer
{
    private readonly string _src;
    private readonly int[] _lineStarts;
    private readonly List<Token> _tokens = [];
    private int _pos;

    public Lexer(string source)
    {
        // jinja2 normalizes \r\n and \r to \n and drops one trailing newline (keep_trailing_newline=False).
        var s = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (s.EndsWith('\n')) s = s[..^1];
        _src = s;
        var starts = new List<int> { 0 };
        for (var i = 0; i < s.Length; i++)
            if (s[i] == '\n') starts.Add(i + 1);
        _lineStarts = [.. starts];
    }

    public (int Line, int Column) Position(int offset)
    {
        var idx = Array.BinarySearch(_lineStarts, offset);
        if (idx < 0) idx = ~idx - 1;
        return (idx + 1, offset - _lineStarts[idx] + 1);
    }

    private Token Make(TokenKind kind, string value, int offset)
    {
        var (line, col) = Position(offset);
        return new Token(kind, value, line, col);
    }

    private TemplateException Error(string message, int offset)
    {
        var (line, col) = Position(offset);
        return new TemplateException(message, line, col);
    }

    public List<Token> Tokenize()
    {
        var lineStarting = true;
        while (_pos < _src.Length)
        {
            var tagAt = FindTagStart(_pos);
            if (tagAt < 0)
            {
                _tokens.Add(Make(TokenKind.Data, _src[_pos..], _pos));
                break;
            }
            var text = _src[_pos..tagAt];
            var kind = _src[tagAt + 1]; // '{', '%' or '#'
            var sign = tagAt + 2 < _src.Length && _src[tagAt + 2] is '-' or '+' ? _src[tagAt + 2] : '\0';
            if (sign == '-') text = text.TrimEnd();
            else if (sign != '+' && kind != '{')
            {
                // lstrip_blocks: drop spaces between the line start and a block/comment tag.
                var lPos = text.LastIndexOf('\n') + 1;
                if ((lPos > 0 || lineStarting) && lPos < text.Length && IsAllSpace(text, lPos))
                    text = text[..lPos];
            }
            if (text.Length > 0) _tokens.Add(Make(TokenKind.Data, text, _pos));
            var bodyStart = tagAt + 2 + (sign != '\0' ? 1 : 0);
            if (kind == '#') lineStarting = LexComment(bodyStart);
            else if (kind == '%' && TryLexRaw(tagAt, out var ls)) lineStarting = ls;
            else lineStarting = LexTag(kind == '%', tagAt, bodyStart);
        }
        _tokens.Add(Make(TokenKind.Eof, "", _src.Length));
        return _tokens;
    }

    private static bool IsAllSpace(string text, int from)
    {
        for (var i = from; i < text.Length; i++)
            if (!PyStr.IsSpace(text[i])) return false;
        return true;
    }

    private int FindTagStart(int from)
    {
        var i = from;
        while (true)
        {
            i = _src.IndexOf('{', i);
            if (i < 0 || i + 1 >= _src.Length) return -1;
            if (_src[i + 1] is '{' or '%' or '#') return i;
            i++;
        }
    }

    /// <summary>Consumes a tag end at _pos ("%}" / "}}" / "#}" with its "-"/"+"), returns whether it ended in a newline.</summary>
    private bool ConsumeEnd(bool isBlock, bool minus, bool plus)
    {
        // _pos points at the closer's first char ('%', '}' or '#').
        _pos += 2;
        if (minus)
        {
            var start = _pos;
            while (_pos < _src.Length && PyStr.IsSpace(_src[_pos])) _pos++;
            return _pos > start ? _src[_pos - 1] == '\n' : false;
        }
        if (!plus && isBlock && _pos < _src.Length && _src[_pos] == '\n')
        {
            _pos++;
            return true;
        }
        return false;
    }

    private bool LexComment(int bodyStart)
    {
        var end = _src.IndexOf("#}", bodyStart, StringComparison.Ordinal);
        if (end < 0) throw Error("Missing end of comment tag", bodyStart - 2);
        var minus = end > bodyStart && _src[end - 1] == '-';
        var plus = end > bodyStart && _src[end - 1] == '+';
        _pos = end;
        return ConsumeEnd(isBlock: true, minus, plus);
    }

    private bool TryLexRaw(int tagAt, out bool lineStarting)
    {
        lineStarting = false;
        var m = RawBegin().Match(_src, tagAt);
        if (!m.Success) return false; // \G anchors the match at the tag, so this is O(tag) not O(file)
        var endM = RawEnd().Match(_src, m.Index + m.Length);
        if (!endM.Success) throw Error("Missing end of raw directive", tagAt);
        var afterBegin = m.Index + m.Length;
        var text = _src[afterBegin..endM.Index];
        var endSign = endM.Groups[1].Value;
        if (endSign == "-") text = text.TrimEnd();
        if (text.Length > 0) _tokens.Add(Make(TokenKind.Data, text, afterBegin));
        _pos = endM.Index + endM.Length;
        var tail = endM.Groups[2].Value;
        if (tail.StartsWith('-'))
            while (_pos < _src.Length && PyStr.IsSpace(_src[_pos])) _pos++;
        else if (!tail.StartsWith('+') && _pos < _src.Length && _src[_pos] == '\n') _pos++;
        lineStarting = _pos > 0 && _src[_pos - 1] == '\n';
        return true;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\G\{%[-+]?\s*raw\s*-?%\}")]
    private static partial System.Text.RegularExpressions.Regex RawBegin();

    [System.Text.RegularExpressions.GeneratedRegex(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}")]
    private static partial System.Text.RegularExpressions.Regex RawEnd();

    private bool LexTag(bool isBlock, int tagAt, int bodyStart)
    {
        _tokens.Add(Make(isBlock ? TokenKind.BlockBegin : TokenKind.VariableBegin, "", tagAt));
        _pos = bodyStart;
        var depth = new Stack<char>();
        var closer = isBlock ? '%' : '}';
        while (true)
        {
            if (_pos >= _src.Length)
                throw Error(isBlock ? "unexpected end of template, expected end of statement block ('%}')" : "unexpected end of template, expected end of print statement ('}}')", tagAt);
            var c = _src[_pos];
            if (depth.Count == 0)
            {
                var minus = c == '-' && At(_pos + 1, closer, '}');
                var plus = isBlock && c == '+' && At(_pos + 1, closer, '}');
                if (minus || plus || At(_pos, closer, '}'))
                {
                    _tokens.Add(Make(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, "", _pos));
                    if (minus || plus) _pos++;
                    return ConsumeEnd(isBlock, minus, plus);
                }
            }
            if (PyStr.IsSpace(c)) { _pos++; continue; }
            if (char.IsAsciiDigit(c)) { LexNumber(); continue; }
            if (char.IsLetter(c) || c == '_') { LexName(); continue; }
            if (c is '\'' or '"') { LexString(); continue; }
            LexOperator(depth);
        }
    }

    private bool At(int i, char a, char b) => i + 1 < _src.Length && _src[i] == a && _src[i + 1] == b;

    private void LexName()
    {
        var start = _pos;
        while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        _tokens.Add(Make(TokenKind.Name, _src[start.._pos], start));
    }

    private void LexNumber()
    {
        var start = _pos;
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        var isFloat = false;
        if (_pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        }
        if (_pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            var save = _pos;
            _pos++;
            if (_pos < _src.Length && _src[_pos] is '+' or '-') _pos++;
            if (_pos < _src.Length && char.IsAsciiDigit(_src[_pos]))
            {
                isFloat = true;
                while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
            }
            else _pos = save;
        }
        _tokens.Add(Make(isFloat ? TokenKind.Float : TokenKind.Integer, _src[start.._pos].Replace("_", ""), start));
    }

    private void LexString()
    {
        var start = _pos;
        var quote = _src[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length) throw Error("unexpected end of string", start);
            var c = _src[_pos++];
            if (c == quote) break;
            if (c != '\\') { sb.Append(c); continue; }
            if (_pos >= _src.Length) throw Error("unexpected end of string", start);
            StringEscapes.Decode(_src, ref _pos, sb);
        }
        _tokens.Add(Make(TokenKind.String, sb.ToString(), start));
    }

    private static readonly string[] Operators =
        ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"];

    private void LexOperator(Stack<char> depth)
    {
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) != 0) continue;
            switch (op)
            {
                case "(": depth.Push(')'); break;
                case "[": depth.Push(']'); break;
                case "{": depth.Push('}'); break;
                case ")" or "]" or "}":
                    if (depth.Count == 0) throw Error($"unexpected '{op}'", _pos);
                    var expected = depth.Pop();
                    if (expected != op[0]) throw Error($"unexpected '{op}', expected '{expected}'", _pos);
                    break;
            }
            _tokens.Add(Make(TokenKind.Operator, op, _pos));
            _pos += op.Length;
            return;
        }
        throw Error($"unexpected char '{_src[_pos]}'", _pos);
    }
}
