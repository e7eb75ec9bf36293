namespace Hearth.Core.Templates.Jinja;

/// <summary>The <c>loop</c> variable inside {% for %}.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int index, int depth0)
{
    public object? Get(string name) => name switch
    {
        "index" => (object)((long)index + 1),
        "index0" => (long)index,
        "revindex" => (long)(items.Count - index),
        "revindex0" => (long)(items.Count - index - 1),
        "first" => index == 0,
        "last" => index == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => (long)depth0 + 1,
        "depth0" => (long)depth0,
        "previtem" => index > 0 ? items[index - 1] : new Undefined("there is no previous item"),
        "nextitem" => index < items.Count - 1 ? items[index + 1] : new Undefined("there is no next item"),
        "cycle" => new BoundMethod(this, "cycle"),
        _ => Undefined.NoAttribute(this, name),
    };

    /// <summary>loop.cycle(a, b, …): the argument at index0 modulo the count.</summary>
    public object? Cycle(CallArgs args)
    {
        if (args.Positional.Count == 0) throw new RuntimeFailure("no items for cycling given");
        return args.Positional[index % args.Positional.Count];
    }
}
