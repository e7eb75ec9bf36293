namespace Hearth.Core.Templates.Jinja;

// The template's syntax tree. Nodes are immutable, so one parsed template renders on many threads at once.

/// <summary>Base of all nodes: the 1-based position where the node starts.</summary>
internal abstract record Node(int Line, int Column);

// ---- expressions ----
internal abstract record Expr(int Line, int Column) : Node(Line, Column);

internal sealed record LiteralExpr(object? Value, int Line, int Column) : Expr(Line, Column);

internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record GetAttrExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record GetItemExpr(Expr Target, Expr Key, int Line, int Column) : Expr(Line, Column);

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

internal sealed record Arguments(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Named)
{
    public static readonly Arguments None = new([], []);
}

internal sealed record CallExpr(Expr Callee, Arguments Args, int Line, int Column) : Expr(Line, Column);

/// <summary><c>value | name(args)</c>. <see cref="Value"/> is null inside a {% filter %} block (the body is the value).</summary>
internal sealed record FilterExpr(Expr? Value, string Name, Arguments Args, int Line, int Column) : Expr(Line, Column);

internal sealed record TestExpr(Expr Value, string Name, Arguments Args, bool Negated, int Line, int Column) : Expr(Line, Column);

/// <summary>Unary "-", "+" or "not".</summary>
internal sealed record UnaryExpr(string Op, Expr Operand, int Line, int Column) : Expr(Line, Column);

/// <summary>Arithmetic (+ - * / // % **), "~", "and", "or".</summary>
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

/// <summary>A comparison chain: a &lt; b == c (ops: == != &lt; &lt;= &gt; &gt;= in notin).</summary>
internal sealed record CompareExpr(Expr First, IReadOnlyList<(string Op, Expr Operand)> Rest, int Line, int Column) : Expr(Line, Column);

internal sealed record CondExpr(Expr Test, Expr Then, Expr? Else, int Line, int Column) : Expr(Line, Column);

// ---- statements ----
internal abstract record Stmt(int Line, int Column) : Node(Line, Column);

internal sealed record TextStmt(string Text, int Line, int Column) : Stmt(Line, Column);

internal sealed record OutputStmt(Expr Value, int Line, int Column) : Stmt(Line, Column);

internal sealed record IfStmt(IReadOnlyList<(Expr Test, IReadOnlyList<Stmt> Body)> Branches, IReadOnlyList<Stmt>? Else, int Line, int Column) : Stmt(Line, Column);

internal sealed record ForStmt(Expr Target, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt>? Else, bool Recursive, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% set target = value %}; the target is a name, a tuple of names, or ns.attr (a GetAttrExpr).</summary>
internal sealed record SetStmt(Expr Target, Expr Value, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% set target %}body{% endset %}, with optional filters applied to the captured text.</summary>
internal sealed record SetBlockStmt(Expr Target, IReadOnlyList<Stmt> Body, IReadOnlyList<FilterExpr> Filters, int Line, int Column) : Stmt(Line, Column);

internal sealed record MacroStmt(string Name, IReadOnlyList<string> Params, IReadOnlyList<Expr?> Defaults, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% call(params) macro(args) %}body{% endcall %}: the body becomes <c>caller()</c>.</summary>
internal sealed record CallBlockStmt(CallExpr Call, IReadOnlyList<string> Params, IReadOnlyList<Expr?> Defaults, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record FilterBlockStmt(IReadOnlyList<FilterExpr> Filters, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record WithStmt(IReadOnlyList<(Expr Target, Expr Value)> Assignments, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record BreakStmt(int Line, int Column) : Stmt(Line, Column);

internal sealed record ContinueStmt(int Line, int Column) : Stmt(Line, Column);
