namespace Hearth.Core.Templates.Jinja;

/// <summary>A variable frame. Loops, macro calls and {% with %} open a child frame; {% set %} writes to the
/// current one, so assignments inside a loop do not leak out of it (as in jinja2; namespace() is the way out).</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}
