namespace Hearth.Core.Templates.Jinja;

/// <summary>A macro defined by {% macro %} (or the body of a {% call %} block, exposed as <c>caller</c>).
/// It closes over the frame it was defined in and belongs to one render.</summary>
internal sealed class Macro(string name, IReadOnlyList<string> parameters, IReadOnlyList<Expr?> defaults,
    IReadOnlyList<Stmt> body, Scope closure, Interpreter interpreter)
{
    public string Name { get; } = name;

    public object? Invoke(CallArgs args, object? caller)
    {
        var scope = new Scope(closure);
        if (args.Positional.Count > parameters.Count)
            throw new RuntimeFailure($"macro '{Name}' takes not more than {parameters.Count} argument(s)");
        var extraKwargs = new PyDict();
        foreach (var kv in args.Named)
        {
            if (kv.Key == "caller") { caller = kv.Value; continue; }
            var idx = IndexOf(kv.Key);
            if (idx < 0) extraKwargs.Set(kv.Key, kv.Value);
            else if (idx < args.Positional.Count) throw new RuntimeFailure($"macro '{Name}' got multiple values for argument '{kv.Key}'");
        }
        for (var i = 0; i < parameters.Count; i++)
        {
            object? value;
            if (i < args.Positional.Count) value = args.Positional[i];
            else if (TryNamed(args, parameters[i], out var named)) value = named;
            else if (defaults[i] is { } d) value = interpreter.Eval(d, scope);
            else value = new Undefined($"parameter '{parameters[i]}' was not provided");
            scope.Set(parameters[i], value);
        }
        scope.Set("varargs", new List<object?>());
        scope.Set("kwargs", extraKwargs);
        if (caller is not null) scope.Set("caller", caller);
        return interpreter.RenderMacroBody(body, scope);
    }

    private int IndexOf(string name)
    {
        for (var i = 0; i < parameters.Count; i++)
            if (parameters[i] == name) return i;
        return -1;
    }

    private static bool TryNamed(CallArgs args, string name, out object? value)
    {
        foreach (var kv in args.Named)
            if (kv.Key == name) { value = kv.Value; return true; }
        value = null;
        return false;
    }
}
