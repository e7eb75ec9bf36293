using System.Text;

namespace Hearth.Core.Templates.Jinja;

/// <summary>Executes a parsed template for one render. Not shared between threads: each render makes its own.</summary>
internal sealed partial class Interpreter(ChatTemplateOptions options)
{
    private const int MaxDepth = 200;
    private const int MaxOutputChars = 64 * 1024 * 1024;
    private int _depth;

    public ChatTemplateOptions Options { get; } = options;

    private enum Flow { Normal, Break, Continue }

    public string Render(IReadOnlyList<Stmt> body, Scope globals)
    {
        var sb = new StringBuilder();
        var flow = Exec(body, globals, sb);
        if (flow != Flow.Normal) throw new TemplateException("break/continue outside of a loop", 0, 0);
        return sb.ToString();
    }

    private static TemplateException At(Node node, string message) => new(message, node.Line, node.Column);

    private Flow Exec(IReadOnlyList<Stmt> body, Scope scope, StringBuilder sb)
    {
        foreach (var stmt in body)
        {
            var flow = ExecOne(stmt, scope, sb);
            if (flow != Flow.Normal) return flow;
            if (sb.Length > MaxOutputChars) throw At(stmt, "template output is too large");
        }
        return Flow.Normal;
    }

    private Flow ExecOne(Stmt stmt, Scope scope, StringBuilder sb)
    {
        try
        {
            switch (stmt)
            {
                case TextStmt t: sb.Append(t.Text); return Flow.Normal;
                case OutputStmt o: sb.Append(PyRepr.Str(Eval(o.Value, scope))); return Flow.Normal;
                case IfStmt i:
                    foreach (var (test, branch) in i.Branches)
                        if (PyOps.Truthy(Eval(test, scope))) return Exec(branch, scope, sb);
                    return i.Else is null ? Flow.Normal : Exec(i.Else, scope, sb);
                case ForStmt f: return ExecFor(f, scope, sb);
                case SetStmt s: Assign(s.Target, Eval(s.Value, scope), scope); return Flow.Normal;
                case SetBlockStmt sbk:
                    object? captured = Capture(sbk.Body, scope);
                    foreach (var filter in sbk.Filters) captured = ApplyFilter(filter, captured, scope);
                    Assign(sbk.Target, captured, scope);
                    return Flow.Normal;
                case MacroStmt m:
                    scope.Set(m.Name, new Macro(m.Name, m.Params, m.Defaults, m.Body, scope, this));
                    return Flow.Normal;
                case CallBlockStmt c:
                    var caller = new Macro("caller", c.Params, c.Defaults, c.Body, scope, this);
                    sb.Append(PyRepr.Str(EvalCall(c.Call, scope, caller)));
                    return Flow.Normal;
                case FilterBlockStmt fb:
                    object? text = Capture(fb.Body, scope);
                    foreach (var filter in fb.Filters) text = ApplyFilter(filter, text, scope);
                    sb.Append(PyRepr.Str(text));
                    return Flow.Normal;
                case WithStmt w:
                    var inner = new Scope(scope);
                    foreach (var (target, value) in w.Assignments) Assign(target, Eval(value, scope), inner);
                    return Exec(w.Body, inner, sb);
                case BreakStmt: return Flow.Break;
                case ContinueStmt: return Flow.Continue;
                default: throw At(stmt, $"unsupported statement {stmt.GetType().Name}");
            }
        }
        catch (RuntimeFailure e)
        {
            throw At(stmt, e.Message);
        }
    }

    private string Capture(IReadOnlyList<Stmt> body, Scope scope)
    {
        var sb = new StringBuilder();
        Exec(body, scope, sb);
        return sb.ToString();
    }

    /// <summary>Runs a macro body in its own frame and returns the text it printed.</summary>
    public string RenderMacroBody(IReadOnlyList<Stmt> body, Scope scope)
    {
        if (++_depth > MaxDepth) throw new RuntimeFailure("maximum recursion depth exceeded in macro calls");
        try
        {
            return Capture(body, scope);
        }
        finally
        {
            _depth--;
        }
    }

    private Flow ExecFor(ForStmt f, Scope scope, StringBuilder sb)
    {
        if (f.Recursive) throw At(f, "recursive for loops are not supported");
        var source = Eval(f.Iterable, scope);
        var items = PyOps.Iterate(source).ToList();
        if (f.Filter is not null)
        {
            var filterScope = new Scope(scope);
            items = items.Where(item =>
            {
                Assign(f.Target, item, filterScope);
                return PyOps.Truthy(Eval(f.Filter, filterScope));
            }).ToList();
        }
        if (items.Count == 0)
            return f.Else is null ? Flow.Normal : Exec(f.Else, scope, sb);
        for (var i = 0; i < items.Count; i++)
        {
            // jinja2 gives every iteration a fresh frame: a {% set %} in one iteration is not seen by the next.
            var loopScope = new Scope(scope);
            Assign(f.Target, items[i], loopScope);
            loopScope.Set("loop", new LoopContext(items, i, 0));
            var flow = Exec(f.Body, loopScope, sb);
            if (flow == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private void Assign(Expr target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                return;
            case TupleExpr t:
                var values = PyOps.Iterate(value).ToList();
                if (values.Count > t.Items.Count) throw At(t, $"too many values to unpack (expected {t.Items.Count})");
                if (values.Count < t.Items.Count) throw At(t, $"not enough values to unpack (expected {t.Items.Count}, got {values.Count})");
                for (var i = 0; i < values.Count; i++) Assign(t.Items[i], values[i], scope);
                return;
            case GetAttrExpr { Target: NameExpr ns } a:
                if (!scope.TryGet(ns.Name, out var obj) || obj is not Namespace nsObj)
                    throw At(a, "cannot assign attribute on non-namespace object");
                nsObj.Attributes.Set(a.Name, value);
                return;
            default:
                throw At(target, "cannot assign to this target");
        }
    }
}
