namespace Hearth.Engine.Structured;

/// <summary>A compiled byte-level context-free grammar, flattened for the pushdown matcher (llama.cpp's layout):
/// every rule is a list of alternatives, every alternative a run of elements ending in <see cref="ElementKind.End"/>.
/// An element is a byte set (a terminal) or a reference to a rule. Element 0 is the entry: <c>Ref(start) End</c>.
/// Immutable and shared by every sequence (and engine) that uses it; <see cref="Key"/> identifies its source.</summary>
public sealed class Grammar
{
    internal Grammar(ElementKind[] kinds, int[] args, ByteSet[] sets, int[] altStarts, int[] ruleFirstAlt, string[] ruleNames)
    {
        Kinds = kinds;
        Args = args;
        Sets = sets;
        AltStarts = altStarts;
        RuleFirstAlt = ruleFirstAlt;
        RuleNames = ruleNames;
    }

    internal ElementKind[] Kinds { get; }

    /// <summary>Byte set index for <see cref="ElementKind.Bytes"/> and <see cref="ElementKind.Utf8"/> (its ASCII
    /// part), rule index for <see cref="ElementKind.Ref"/>.</summary>
    internal int[] Args { get; }
    internal ByteSet[] Sets { get; }

    /// <summary>First element of each alternative.</summary>
    internal int[] AltStarts { get; }

    /// <summary>Rule r's alternatives are <c>AltStarts[RuleFirstAlt[r] .. RuleFirstAlt[r + 1])</c>.</summary>
    internal int[] RuleFirstAlt { get; }
    internal string[] RuleNames { get; }

    public int RuleCount => RuleNames.Length;
    public int ElementCount => Kinds.Length;

    /// <summary>The cache key of the source this grammar was compiled from (set by <see cref="GrammarCache"/>).</summary>
    public string Key { get; internal set; } = "";
}

/// <summary>What one grammar element is.</summary>
internal enum ElementKind : byte
{
    /// <summary>One byte of a set.</summary>
    Bytes,
    /// <summary>A call of a rule.</summary>
    Ref,
    /// <summary>The end of an alternative.</summary>
    End,
    /// <summary>One whole UTF-8 character: an ASCII byte of a set, or any multi-byte scalar value (a tiny decoder
    /// in the stack's sub-state instead of a dozen byte-range alternatives: the hot path inside strings).</summary>
    Utf8,
}
