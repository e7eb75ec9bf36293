namespace Hearth.Engine.Structured.Reasoning;

/// <summary>Puts a thinking block in front of a grammar, so a JSON schema (or any constraint) applies to the answer
/// after the thinking: free bytes up to the end marker, a little whitespace, then the grammar. When the prompt did
/// not open the block, the model may open it with the start marker or answer at once. The free part is
/// <see cref="UntilMarker"/>: the end marker is where thinking ends and cannot appear inside it.</summary>
public static class ThinkingGrammar
{
    /// <summary>Whitespace allowed between the end marker and the answer ("\n\n" in DeepSeek-R1 and Qwen3 outputs).</summary>
    public const int MaxGapBytes = 4;

    public static Grammar Wrap(Grammar inner, ReasoningFormat format, bool openInPrompt) =>
        GrammarCache.GetOrAdd($"think\u0001{format.Start}\u0001{format.End}\u0001{openInPrompt}\u0001{inner.Key}", () => Build(inner, format, openInPrompt));

    private static Grammar Build(Grammar inner, ReasoningFormat format, bool openInPrompt)
    {
        var b = new GrammarBuilder();
        var innerRoot = GrammarEmbedding.Embed(inner, b, "answer:");
        var thinking = UntilMarker.Build(b, "think", System.Text.Encoding.UTF8.GetBytes(format.End));
        var gap = GrammarNode.Times(GrammarNode.Set(" \t\r\n"), 0, MaxGapBytes);
        var block = openInPrompt ? thinking : GrammarNode.Optional(GrammarNode.Sequence(GrammarNode.Literal(format.Start), thinking));
        int root = b.Rule("think-root");
        b.Define(root, GrammarNode.Sequence(block, gap, innerRoot));
        return b.Build(root);
    }
}
