namespace Hearth.Engine.Structured.Reasoning;

/// <summary>Puts a thinking block in front of a grammar, so a JSON schema (or any constraint) applies to the answer
/// after the thinking: free bytes up to the end marker, a little whitespace, then the grammar. When the prompt did
/// not open the block, the model may open it with the start marker or answer at once. The free part is the
/// automaton of "any bytes not containing the end marker" (one rule per matched prefix of the marker, KMP-style),
/// so the end marker is where thinking ends and cannot appear inside it; the few states it has cache their masks.</summary>
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
        var thinking = Thinking(b, System.Text.Encoding.UTF8.GetBytes(format.End));
        var gap = GrammarNode.Times(GrammarNode.Set(" \t\r\n"), 0, MaxGapBytes);
        var block = openInPrompt ? thinking : GrammarNode.Optional(GrammarNode.Sequence(GrammarNode.Literal(format.Start), thinking));
        int root = b.Rule("think-root");
        b.Define(root, GrammarNode.Sequence(block, gap, innerRoot));
        return b.Build(root);
    }

    /// <summary>Any bytes, then the end marker: state k has matched marker[..k]; the byte that completes the marker ends it.</summary>
    private static GrammarNode Thinking(GrammarBuilder b, byte[] marker)
    {
        int n = marker.Length;
        var states = new int[n];
        for (int k = 0; k < n; k++) states[k] = b.Rule($"think-{k}");
        for (int k = 0; k < n; k++)
        {
            // Group the 256 bytes by the state they lead to.
            var toState = new ByteSet[n];
            for (int v = 0; v < 256; v++)
            {
                if (v == marker[k]) continue;
                toState[Next(marker, k, (byte)v)] |= ByteSet.Of((byte)v);
            }
            var options = new List<GrammarNode>();
            for (int j = 0; j < n; j++)
                if (!toState[j].IsEmpty) options.Add(GrammarNode.Sequence(GrammarNode.Set(toState[j]), new GrammarNode.Ref(states[j])));
            var advance = GrammarNode.Set(ByteSet.Of(marker[k]));
            options.Add(k + 1 == n ? advance : GrammarNode.Sequence(advance, new GrammarNode.Ref(states[k + 1])));
            b.Define(states[k], GrammarNode.Choice(options));
        }
        return new GrammarNode.Ref(states[0]);
    }

    /// <summary>The longest prefix of the marker that is a suffix of marker[..k] + v (v not marker[k]).</summary>
    private static int Next(byte[] marker, int k, byte v)
    {
        for (int len = k; len > 0; len--)
        {
            // candidate: marker[..len] == (marker[..k] + v)[^len..]
            if (marker[len - 1] != v) continue;
            if (marker.AsSpan(0, len - 1).SequenceEqual(marker.AsSpan(k - len + 1, len - 1))) return len;
        }
        return 0;
    }
}
