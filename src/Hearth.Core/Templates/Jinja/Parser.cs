namespace Hearth.Core.Templates.Jinja;

/// <summary>Builds the syntax tree from tokens, following jinja2's parser (statements here, expressions in
/// Parser.Expressions.cs).</summary>
internal sealed partial class Parser(List<Token> tokens)
{
    private int _i;

    private Token Current => tokens[_i];

    private Token Peek(int ahead = 1) => tokens[Math.Min(_i + ahead, tokens.Count - 1)];

    private Token Next() => tokens[_i < tokens.Count - 1 ? _i++ : _i];

    private static TemplateException Fail(string message, Token at) => new(message, at.Line, at.Column);

    private Token Expect(TokenKind kind, string? value = null)
    {
        var t = Current;
        if (t.Kind != kind || (value is not null && t.Value != value))
        {
            var what = value is not null ? $"'{value}'" : kind switch
            {
                TokenKind.BlockEnd => "end of statement block",
                TokenKind.VariableEnd => "end of print statement",
                TokenKind.Name => "name",
                _ => kind.ToString(),
            };
            throw Fail($"expected token {what}, got {t}", t);
        }
        return Next();
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    private bool SkipOp(string op)
    {
        if (!Current.IsOp(op)) return false;
        Next();
        return true;
    }

    public IReadOnlyList<Stmt> ParseTemplate()
    {
        var body = ParseBody([]);
        if (Current.Kind != TokenKind.Eof) throw Fail($"unexpected {Current}", Current);
        return body;
    }

    /// <summary>Parses statements until a {% tag %} whose name is in <paramref name="endNames"/> (left at that name) or the end.</summary>
    private List<Stmt> ParseBody(string[] endNames)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Eof:
                    if (endNames.Length > 0)
                        throw Fail($"Unexpected end of template. Jinja was looking for the following tags: {string.Join(" or ", endNames.Select(n => $"'{n}'"))}.", t);
                    return body;
                case TokenKind.Data:
                    Next();
                    body.Add(new TextStmt(t.Value, t.Line, t.Column));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    var e = ParseTuple(withCondExpr: true);
                    Expect(TokenKind.VariableEnd);
                    body.Add(new OutputStmt(e, t.Line, t.Column));
                    break;
                case TokenKind.BlockBegin:
                    Next();
                    if (Current.Kind == TokenKind.Name && endNames.Contains(Current.Value)) return body;
                    body.Add(ParseStatement());
                    break;
                default:
                    throw Fail($"unexpected {t}", t);
            }
        }
    }

    private const int MaxNesting = 200;
    private int _blockDepth;
    private int _exprDepth;

    private Stmt ParseStatement()
    {
        var t = Current;
        if (++_blockDepth > MaxNesting) throw Fail($"blocks nested too deeply (more than {MaxNesting} levels)", t);
        try
        {
            return ParseStatementCore(t);
        }
        finally
        {
            _blockDepth--;
        }
    }

    private Stmt ParseStatementCore(Token t)
    {
        if (t.Kind != TokenKind.Name) throw Fail("tag name expected", t);
        switch (t.Value)
        {
            case "if": return ParseIf();
            case "for": return ParseFor();
            case "set": return ParseSet();
            case "macro": return ParseMacro();
            case "call": return ParseCallBlock();
            case "filter": return ParseFilterBlock();
            case "with": return ParseWith();
            case "break": Next(); Expect(TokenKind.BlockEnd); return new BreakStmt(t.Line, t.Column);
            case "continue": Next(); Expect(TokenKind.BlockEnd); return new ContinueStmt(t.Line, t.Column);
            case "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endcall" or "endfilter" or "endwith":
                throw Fail($"Encountered unknown tag '{t.Value}'. Jinja was not expecting it here.", t);
            default:
                throw Fail($"Encountered unknown tag '{t.Value}'.", t);
        }
    }

    /// <summary>After ParseBody stopped at an end name: consume "{% name %}" fully.</summary>
    private void EndTag(string name)
    {
        Expect(TokenKind.Name, name);
        Expect(TokenKind.BlockEnd);
    }

    private IfStmt ParseIf()
    {
        var start = Next();
        var branches = new List<(Expr, IReadOnlyList<Stmt>)>();
        List<Stmt>? elseBody = null;
        var test = ParseTuple(withCondExpr: false);
        Expect(TokenKind.BlockEnd);
        while (true)
        {
            var body = ParseBody(["elif", "else", "endif"]);
            branches.Add((test, body));
            var tag = Next();
            if (tag.Value == "elif")
            {
                test = ParseTuple(withCondExpr: false);
                Expect(TokenKind.BlockEnd);
                continue;
            }
            if (tag.Value == "else")
            {
                Expect(TokenKind.BlockEnd);
                elseBody = ParseBody(["endif"]);
                EndTag("endif");
            }
            else Expect(TokenKind.BlockEnd);
            return new IfStmt(branches, elseBody, start.Line, start.Column);
        }
    }

    private ForStmt ParseFor()
    {
        var start = Next();
        var target = ParseAssignTarget(extraEnd: "in", withNamespace: false);
        Expect(TokenKind.Name, "in");
        var iter = ParseTuple(withCondExpr: false, extraEnd: "recursive");
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression(withCondExpr: true);
        var recursive = SkipName("recursive");
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endfor", "else"]);
        List<Stmt>? elseBody = null;
        if (Next().Value == "else")
        {
            Expect(TokenKind.BlockEnd);
            elseBody = ParseBody(["endfor"]);
            EndTag("endfor");
        }
        else Expect(TokenKind.BlockEnd);
        return new ForStmt(target, iter, filter, body, elseBody, recursive, start.Line, start.Column);
    }

    private Stmt ParseSet()
    {
        var start = Next();
        var target = ParseAssignTarget(extraEnd: null, withNamespace: true);
        if (SkipOp("="))
        {
            var value = ParseTuple(withCondExpr: true);
            Expect(TokenKind.BlockEnd);
            return new SetStmt(target, value, start.Line, start.Column);
        }
        var filters = ParseFilterChain(startInline: false);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endset"]);
        EndTag("endset");
        return new SetBlockStmt(target, body, filters, start.Line, start.Column);
    }

    private List<FilterExpr> ParseFilterChain(bool startInline)
    {
        var list = new List<FilterExpr>();
        while (startInline || Current.IsOp("|"))
        {
            if (!startInline) Next();
            startInline = false;
            var nameTok = Expect(TokenKind.Name);
            var name = nameTok.Value;
            while (SkipOp(".")) name += "." + Expect(TokenKind.Name).Value;
            var args = Current.IsOp("(") ? ParseCallArgs() : Arguments.None;
            list.Add(new FilterExpr(null, name, args, nameTok.Line, nameTok.Column));
        }
        return list;
    }

    private (List<string> Names, List<Expr?> Defaults) ParseSignature()
    {
        var names = new List<string>();
        var defaults = new List<Expr?>();
        Expect(TokenKind.Operator, "(");
        while (!Current.IsOp(")"))
        {
            if (names.Count > 0) Expect(TokenKind.Operator, ",");
            var nameTok = Expect(TokenKind.Name);
            if (SkipOp("=")) defaults.Add(ParseExpression(withCondExpr: true));
            else if (defaults.Any(d => d is not null)) throw Fail("non-default argument follows default argument", nameTok);
            else defaults.Add(null);
            names.Add(nameTok.Value);
        }
        Next();
        return (names, defaults);
    }

    private MacroStmt ParseMacro()
    {
        var start = Next();
        var name = Expect(TokenKind.Name).Value;
        var (names, defaults) = ParseSignature();
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endmacro"]);
        EndTag("endmacro");
        return new MacroStmt(name, names, defaults, body, start.Line, start.Column);
    }

    private CallBlockStmt ParseCallBlock()
    {
        var start = Next();
        var (names, defaults) = Current.IsOp("(") ? ParseSignature() : ([], []);
        var call = ParseExpression(withCondExpr: true) as CallExpr ?? throw Fail("expected call", start);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endcall"]);
        EndTag("endcall");
        return new CallBlockStmt(call, names, defaults, body, start.Line, start.Column);
    }

    private FilterBlockStmt ParseFilterBlock()
    {
        var start = Next();
        var filters = ParseFilterChain(startInline: true);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endfilter"]);
        EndTag("endfilter");
        return new FilterBlockStmt(filters, body, start.Line, start.Column);
    }

    private WithStmt ParseWith()
    {
        var start = Next();
        var assignments = new List<(Expr, Expr)>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0) Expect(TokenKind.Operator, ",");
            var target = ParseAssignTarget(extraEnd: null, withNamespace: false);
            Expect(TokenKind.Operator, "=");
            assignments.Add((target, ParseExpression(withCondExpr: true)));
        }
        Next();
        var body = ParseBody(["endwith"]);
        EndTag("endwith");
        return new WithStmt(assignments, body, start.Line, start.Column);
    }
}
