namespace Hearth.Engine.Structured;

/// <summary>Copies a compiled <see cref="Grammar"/> into a <see cref="GrammarBuilder"/> as rules of its own (names
/// prefixed), so a new grammar can use it as a part: e.g. a thinking block in front of a JSON schema.</summary>
public static class GrammarEmbedding
{
    /// <returns>A reference to the embedded grammar's start rule.</returns>
    public static GrammarNode Embed(Grammar g, GrammarBuilder b, string prefix)
    {
        var rules = new int[g.RuleCount];
        for (int r = 0; r < rules.Length; r++) rules[r] = b.Rule(prefix + g.RuleNames[r]);
        for (int r = 0; r < rules.Length; r++)
        {
            var options = new List<GrammarNode>();
            for (int a = g.RuleFirstAlt[r]; a < g.RuleFirstAlt[r + 1]; a++)
            {
                var items = new List<GrammarNode>();
                for (int e = g.AltStarts[a]; g.Kinds[e] != ElementKind.End; e++)
                {
                    items.Add(g.Kinds[e] switch
                    {
                        ElementKind.Bytes => new GrammarNode.Bytes(g.Sets[g.Args[e]]),
                        ElementKind.Utf8 => new GrammarNode.AnyChar(g.Sets[g.Args[e]]),
                        ElementKind.Ref => new GrammarNode.Ref(rules[g.Args[e]]),
                        _ => throw new InvalidOperationException($"unexpected grammar element {g.Kinds[e]}"),
                    });
                }
                options.Add(new GrammarNode.Seq(items));
            }
            b.Define(rules[r], new GrammarNode.Alt(options));
        }
        // Element 0 is the entry: Ref(start) End.
        return new GrammarNode.Ref(rules[g.Args[0]]);
    }
}
