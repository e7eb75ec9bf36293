using System.Globalization;

namespace Hearth.Core.Templates.Jinja;

// Expression grammar, by jinja2's precedence: conditional, or, and, not, comparisons, + -, ~, * / // %, **,
// unary - +, then primaries with postfix (. [] ()) and filter/test chains (| is).
internal sealed partial class Parser
{
    private bool IsTupleEnd(string? extraEnd) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
        || Current.IsOp(")") || (extraEnd is not null && Current.IsName(extraEnd));

    private Expr ParseTuple(bool withCondExpr, string? extraEnd = null, bool simplified = false, bool explicitParens = false)
    {
        var start = Current;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(simplified ? ParsePrimary() : ParseExpression(withCondExpr));
            if (Current.IsOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count > 0) return items[0];
            if (!explicitParens) throw Fail($"Expected an expression, got {Current}", Current);
        }
        return new TupleExpr(items, start.Line, start.Column);
    }

    private Expr ParseAssignTarget(string? extraEnd, bool withNamespace)
    {
        Expr target;
        if (withNamespace && Current.Kind == TokenKind.Name && Peek().IsOp("."))
        {
            var ns = Next();
            Next();
            var attr = Expect(TokenKind.Name);
            return new GetAttrExpr(new NameExpr(ns.Value, ns.Line, ns.Column), attr.Value, ns.Line, ns.Column);
        }
        target = ParseTuple(withCondExpr: true, extraEnd, simplified: true);
        CheckTarget(target);
        return target;
    }

    private static void CheckTarget(Expr target)
    {
        switch (target)
        {
            case NameExpr n when n.Name is "true" or "false" or "none" or "True" or "False" or "None":
                throw new TemplateException($"Can't assign to '{n.Name}'", n.Line, n.Column);
            case NameExpr: return;
            case TupleExpr t:
                foreach (var item in t.Items) CheckTarget(item);
                return;
            default:
                throw new TemplateException($"Can't assign to {target.GetType().Name.Replace("Expr", "").ToLowerInvariant()}", target.Line, target.Column);
        }
    }

    private Expr ParseExpression(bool withCondExpr)
    {
        var expr = ParseOr();
        if (!withCondExpr) return expr;
        while (Current.IsName("if"))
        {
            var t = Next();
            var test = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseExpression(withCondExpr: true) : null;
            expr = new CondExpr(test, expr, otherwise, t.Line, t.Column);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var t = Next();
            left = new BinaryExpr("or", left, ParseAnd(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var t = Next();
            left = new BinaryExpr("and", left, ParseNot(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Current.IsName("not")) return ParseCompare();
        var t = Next();
        return new UnaryExpr("not", ParseNot(), t.Line, t.Column);
    }

    private Expr ParseCompare()
    {
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            var t = Current;
            if (t.Kind == TokenKind.Operator && t.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                Next();
                rest.Add((t.Value, ParseMath1()));
            }
            else if (t.IsName("in"))
            {
                Next();
                rest.Add(("in", ParseMath1()));
            }
            else if (t.IsName("not") && Peek().IsName("in"))
            {
                Next();
                Next();
                rest.Add(("notin", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, first.Line, first.Column);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOp("+") || Current.IsOp("-"))
        {
            var t = Next();
            left = new BinaryExpr(t.Value, left, ParseConcat(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOp("~"))
        {
            var t = Next();
            left = new BinaryExpr("~", left, ParseMath2(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var t = Next();
            left = new BinaryExpr(t.Value, left, ParsePow(), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOp("**"))
        {
            var t = Next();
            left = new BinaryExpr("**", left, ParseUnary(withFilter: true), t.Line, t.Column);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        // Bound the recursion so hostile input ("((((…" or "- - - …") is an error, not a stack overflow.
        if (++_exprDepth > MaxNesting) throw Fail($"expression nested too deeply (more than {MaxNesting} levels)", t);
        try
        {
            return ParseUnaryCore(withFilter, t);
        }
        finally
        {
            _exprDepth--;
        }
    }

    private Expr ParseUnaryCore(bool withFilter, Token t)
    {
        Expr node;
        if (t.IsOp("-") || t.IsOp("+"))
        {
            Next();
            node = new UnaryExpr(t.Value, ParseUnary(withFilter: false), t.Line, t.Column);
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        if (withFilter) node = ParseFilterExpr(node);
        return node;
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                Next();
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Line, t.Column),
                    "false" or "False" => new LiteralExpr(false, t.Line, t.Column),
                    "none" or "None" => new LiteralExpr(null, t.Line, t.Column),
                    _ => new NameExpr(t.Value, t.Line, t.Column),
                };
            case TokenKind.String:
                Next();
                var s = t.Value;
                while (Current.Kind == TokenKind.String) s += Next().Value;
                return new LiteralExpr(s, t.Line, t.Column);
            case TokenKind.Integer:
                Next();
                if (!long.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                    throw Fail($"integer literal too large: {t.Value}", t);
                return new LiteralExpr(l, t.Line, t.Column);
            case TokenKind.Float:
                Next();
                return new LiteralExpr(double.Parse(t.Value, NumberStyles.Float, CultureInfo.InvariantCulture), t.Line, t.Column);
        }
        if (t.IsOp("("))
        {
            Next();
            var e = ParseTuple(withCondExpr: true, explicitParens: true);
            Expect(TokenKind.Operator, ")");
            return e;
        }
        if (t.IsOp("[")) return ParseList();
        if (t.IsOp("{")) return ParseDict();
        throw Fail($"unexpected {t}", t);
    }

    private ListExpr ParseList()
    {
        var start = Next();
        var items = new List<Expr>();
        while (!Current.IsOp("]"))
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOp("]")) break;
            items.Add(ParseExpression(withCondExpr: true));
        }
        Expect(TokenKind.Operator, "]");
        return new ListExpr(items, start.Line, start.Column);
    }

    private DictExpr ParseDict()
    {
        var start = Next();
        var items = new List<(Expr, Expr)>();
        while (!Current.IsOp("}"))
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOp("}")) break;
            var key = ParseExpression(withCondExpr: true);
            Expect(TokenKind.Operator, ":");
            items.Add((key, ParseExpression(withCondExpr: true)));
        }
        Expect(TokenKind.Operator, "}");
        return new DictExpr(items, start.Line, start.Column);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (Current.IsOp(".") || Current.IsOp("[")) node = ParseSubscript(node);
            else if (Current.IsOp("(")) node = new CallExpr(node, ParseCallArgs(), node.Line, node.Column);
            else return node;
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOp("|"))
            {
                foreach (var f in ParseFilterChain(startInline: false))
                    node = f with { Value = node };
            }
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOp("(")) node = new CallExpr(node, ParseCallArgs(), node.Line, node.Column);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var t = Next();
        if (t.Value == ".")
        {
            var attr = Next();
            if (attr.Kind == TokenKind.Name) return new GetAttrExpr(node, attr.Value, attr.Line, attr.Column);
            if (attr.Kind == TokenKind.Integer)
                return new GetItemExpr(node, new LiteralExpr(long.Parse(attr.Value, CultureInfo.InvariantCulture), attr.Line, attr.Column), attr.Line, attr.Column);
            throw Fail("expected name or number", attr);
        }
        var args = new List<Expr>();
        while (!Current.IsOp("]"))
        {
            if (args.Count > 0) Expect(TokenKind.Operator, ",");
            args.Add(ParseSubscribed());
        }
        Expect(TokenKind.Operator, "]");
        var key = args.Count == 1 ? args[0] : new TupleExpr(args, t.Line, t.Column);
        return new GetItemExpr(node, key, t.Line, t.Column);
    }

    private Expr ParseSubscribed()
    {
        var t = Current;
        var parts = new List<Expr?>();
        if (Current.IsOp(":"))
        {
            Next();
            parts.Add(null);
        }
        else
        {
            var node = ParseExpression(withCondExpr: true);
            if (!Current.IsOp(":")) return node;
            Next();
            parts.Add(node);
        }
        if (Current.IsOp(":")) parts.Add(null);
        else if (!Current.IsOp("]") && !Current.IsOp(",")) parts.Add(ParseExpression(withCondExpr: true));
        else parts.Add(null);
        if (Current.IsOp(":"))
        {
            Next();
            parts.Add(!Current.IsOp("]") && !Current.IsOp(",") ? ParseExpression(withCondExpr: true) : null);
        }
        else parts.Add(null);
        return new SliceExpr(parts[0], parts[1], parts[2], t.Line, t.Column);
    }

    private Arguments ParseCallArgs()
    {
        Expect(TokenKind.Operator, "(");
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        var requireComma = false;
        while (!Current.IsOp(")"))
        {
            if (requireComma)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOp(")")) break;
            }
            if (Current.IsOp("*") || Current.IsOp("**"))
                throw Fail("*args and **kwargs in calls are not supported", Current);
            if (Current.Kind == TokenKind.Name && Peek().IsOp("="))
            {
                var key = Next().Value;
                Next();
                named.Add((key, ParseExpression(withCondExpr: true)));
            }
            else
            {
                if (named.Count > 0) throw Fail("positional argument follows keyword argument", Current);
                positional.Add(ParseExpression(withCondExpr: true));
            }
            requireComma = true;
        }
        Next();
        return new Arguments(positional, named);
    }

    private TestExpr ParseTest(Expr node)
    {
        var isTok = Next();
        var negated = SkipName("not");
        var name = Expect(TokenKind.Name).Value;
        while (SkipOp(".")) name += "." + Expect(TokenKind.Name).Value;
        Arguments args;
        var c = Current;
        if (c.IsOp("(")) args = ParseCallArgs();
        else if ((c.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || c.IsOp("[") || c.IsOp("{"))
                 && !c.IsName("else") && !c.IsName("or") && !c.IsName("and"))
        {
            if (c.IsName("is")) throw Fail("You cannot chain multiple tests with is", c);
            var arg = ParsePostfix(ParsePrimary());
            args = new Arguments([arg], []);
        }
        else args = Arguments.None;
        return new TestExpr(node, name, args, negated, isTok.Line, isTok.Column);
    }
}
