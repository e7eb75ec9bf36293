using System.Text;

namespace Hearth.Engine.Structured;

/// <summary>A grammar expression over bytes, as the compilers (JSON Schema, regex, GBNF, choices) build it.
/// <see cref="GrammarBuilder"/> flattens these into the rule table a <see cref="Grammar"/> runs.</summary>
public abstract record GrammarNode
{
    private GrammarNode() { }

    /// <summary>One byte from a set.</summary>
    public sealed record Bytes(ByteSet Allowed) : GrammarNode;

    /// <summary>One UTF-8 character: an ASCII character of <paramref name="Ascii"/> (bytes below 0x80) or any
    /// non-ASCII scalar value.</summary>
    public sealed record AnyChar(ByteSet Ascii) : GrammarNode;

    /// <summary>A reference to a rule of the builder (recursion goes through these).</summary>
    public sealed record Ref(int Rule) : GrammarNode;

    /// <summary>Items one after another.</summary>
    public sealed record Seq(IReadOnlyList<GrammarNode> Items) : GrammarNode;

    /// <summary>Any one of the options.</summary>
    public sealed record Alt(IReadOnlyList<GrammarNode> Options) : GrammarNode;

    /// <summary>The item between Min and Max times (Max null: unbounded).</summary>
    public sealed record Repeat(GrammarNode Item, int Min, int? Max) : GrammarNode;

    public static GrammarNode Empty { get; } = new Seq([]);

    public static GrammarNode Literal(string text) => Literal(Encoding.UTF8.GetBytes(text));

    public static GrammarNode Literal(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 1) return new Bytes(ByteSet.Of(bytes[0]));
        var items = new GrammarNode[bytes.Length];
        for (int i = 0; i < items.Length; i++) items[i] = new Bytes(ByteSet.Of(bytes[i]));
        return new Seq(items);
    }

    public static GrammarNode Set(ByteSet set) => new Bytes(set);
    public static GrammarNode Set(string asciiChars) => new Bytes(ByteSet.Of(asciiChars));
    public static GrammarNode Range(char lo, char hi) => new Bytes(ByteSet.Range(lo, hi));
    public static GrammarNode Sequence(params GrammarNode[] items) => items.Length == 1 ? items[0] : new Seq(items);
    public static GrammarNode Choice(params GrammarNode[] options) => options.Length == 1 ? options[0] : new Alt(options);
    public static GrammarNode Choice(IEnumerable<GrammarNode> options) => Choice(options.ToArray());
    public static GrammarNode Optional(GrammarNode item) => new Repeat(item, 0, 1);
    public static GrammarNode Star(GrammarNode item) => new Repeat(item, 0, null);
    public static GrammarNode Plus(GrammarNode item) => new Repeat(item, 1, null);
    public static GrammarNode Times(GrammarNode item, int min, int? max) => new Repeat(item, min, max);
}
