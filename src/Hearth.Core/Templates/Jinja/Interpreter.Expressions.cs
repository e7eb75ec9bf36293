namespace Hearth.Core.Templates.Jinja;

internal sealed partial class Interpreter
{
    public object? Eval(Expr expr, Scope scope)
    {
        try
        {
            return EvalCore(expr, scope);
        }
        catch (RuntimeFailure e)
        {
            throw At(expr, e.Message);
        }
    }

    private object? EvalCore(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case LiteralExpr l: return l.Value;
            case NameExpr n: return scope.TryGet(n.Name, out var v) ? v : Undefined.Named(n.Name);
            case ListExpr l: return l.Items.Select(i => Eval(i, scope)).ToList();
            case TupleExpr t: return new PyTuple(t.Items.Select(i => Eval(i, scope)).ToArray());
            case DictExpr d:
                var dict = new PyDict();
                foreach (var (k, val) in d.Items) dict.Set(Eval(k, scope), Eval(val, scope));
                return dict;
            case GetAttrExpr a: return Access.GetAttr(Eval(a.Target, scope), a.Name);
            case GetItemExpr g: return Access.GetItem(Eval(g.Target, scope), EvalKey(g.Key, scope));
            case CallExpr c: return EvalCall(c, scope, null);
            case FilterExpr f: return ApplyFilter(f, f.Value is null ? null : Eval(f.Value, scope), scope);
            case TestExpr t:
                var result = Tests.Run(t.Name, Eval(t.Value, scope), EvalArgs(t.Args, scope, t));
                return t.Negated ? !result : result;
            case UnaryExpr u:
                var operand = Eval(u.Operand, scope);
                return u.Op switch
                {
                    "not" => !PyOps.Truthy(operand),
                    "-" => Arith.Negate(operand),
                    _ => Arith.Plus(operand),
                };
            case BinaryExpr b: return EvalBinary(b, scope);
            case CompareExpr c: return EvalCompare(c, scope);
            case CondExpr c:
                if (PyOps.Truthy(Eval(c.Test, scope))) return Eval(c.Then, scope);
                return c.Else is null ? new Undefined("the inline if-expression evaluated to false and no else section was defined") : Eval(c.Else, scope);
            case SliceExpr s: return EvalKey(s, scope);
            default: throw new RuntimeFailure($"unsupported expression {expr.GetType().Name}");
        }
    }

    private object? EvalKey(Expr key, Scope scope)
    {
        if (key is not SliceExpr s) return Eval(key, scope);
        return new SliceValue(SliceBound(s.Start, scope), SliceBound(s.Stop, scope), SliceBound(s.Step, scope));
    }

    private long? SliceBound(Expr? e, Scope scope)
    {
        if (e is null) return null;
        return Eval(e, scope) switch
        {
            null => null,
            bool b => b ? 1 : 0,
            long l => l,
            var other => throw new RuntimeFailure($"slice indices must be integers or None, not {PyOps.TypeName(other)}"),
        };
    }

    private object? EvalBinary(BinaryExpr b, Scope scope)
    {
        var left = Eval(b.Left, scope);
        switch (b.Op)
        {
            case "and": return PyOps.Truthy(left) ? Eval(b.Right, scope) : left;
            case "or": return PyOps.Truthy(left) ? left : Eval(b.Right, scope);
        }
        var right = Eval(b.Right, scope);
        return b.Op switch
        {
            "~" => PyRepr.Str(left) + PyRepr.Str(right),
            "+" => Arith.Add(left, right),
            "-" => Arith.Sub(left, right),
            "*" => Arith.Mul(left, right),
            "/" => Arith.Div(left, right),
            "//" => Arith.FloorDiv(left, right),
            "%" => Arith.Mod(left, right),
            "**" => Arith.Pow(left, right),
            _ => throw new RuntimeFailure($"unknown operator {b.Op}"),
        };
    }

    private object? EvalCompare(CompareExpr c, Scope scope)
    {
        var left = Eval(c.First, scope);
        foreach (var (op, operandExpr) in c.Rest)
        {
            var right = Eval(operandExpr, scope);
            var ok = op switch
            {
                "==" => PyOps.PyEquals(left, right),
                "!=" => !PyOps.PyEquals(left, right),
                "<" => PyOps.Compare(left, right, op) < 0,
                "<=" => PyOps.Compare(left, right, op) <= 0,
                ">" => PyOps.Compare(left, right, op) > 0,
                ">=" => PyOps.Compare(left, right, op) >= 0,
                "in" => PyOps.Contains(right, left),
                "notin" => !PyOps.Contains(right, left),
                _ => throw new RuntimeFailure($"unknown comparison {op}"),
            };
            if (!ok) return false;
            left = right;
        }
        return true;
    }

    private CallArgs EvalArgs(Arguments args, Scope scope, Node at)
    {
        var positional = new List<object?>(args.Positional.Count);
        foreach (var p in args.Positional) positional.Add(Eval(p, scope));
        var named = new List<KeyValuePair<string, object?>>(args.Named.Count);
        foreach (var (name, value) in args.Named) named.Add(new(name, Eval(value, scope)));
        return new CallArgs(positional, named, at.Line, at.Column);
    }

    private object? EvalCall(CallExpr c, Scope scope, Macro? caller)
    {
        var callee = Eval(c.Callee, scope);
        var args = EvalArgs(c.Args, scope, c);
        try
        {
            return callee switch
            {
                Macro m => m.Invoke(args, caller),
                PyFunction f => f.Impl(args),
                BoundMethod bm => Methods.Call(bm, args),
                Undefined u => throw new RuntimeFailure(u.Hint),
                _ => throw new RuntimeFailure($"'{PyOps.TypeName(callee)}' object is not callable"),
            };
        }
        catch (RuntimeFailure e)
        {
            throw At(c, e.Message);
        }
    }

    private object? ApplyFilter(FilterExpr f, object? value, Scope scope)
    {
        var args = EvalArgs(f.Args, scope, f);
        try
        {
            return Filters.Apply(f.Name, value, args);
        }
        catch (RuntimeFailure e)
        {
            throw At(f, e.Message);
        }
    }
}

/// <summary>An evaluated slice key (x[a:b:c]).</summary>
internal sealed record SliceValue(long? Start, long? Stop, long? Step);
