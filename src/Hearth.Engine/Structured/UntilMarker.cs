namespace Hearth.Engine.Structured;

/// <summary>"Any bytes, then a marker": the automaton of a text that ends at its end marker and holds neither that
/// marker before its end nor any of the forbidden ones (Aho–Corasick over the markers: one rule per distinct proper
/// prefix of a marker, each byte leading to the longest such prefix that ends the text read so far). Thinking blocks
/// (end marker only) and harmony's analysis messages (whose body cannot hold any message delimiter, or the parser
/// would cut it there) are such parts; the few states cache their masks.</summary>
internal static class UntilMarker
{
    /// <param name="name">Rule name prefix, unique within the grammar being built.</param>
    public static GrammarNode Build(GrammarBuilder b, string name, byte[] end, params byte[][] forbidden)
    {
        byte[][] markers = [end, .. forbidden];
        var prefixes = new List<byte[]>();
        var index = new Dictionary<string, int>();
        foreach (var m in markers)
            for (int len = 0; len < m.Length; len++)
                if (index.TryAdd(Key(m.AsSpan(0, len)), prefixes.Count)) prefixes.Add(m[..len]);
        var states = new int[prefixes.Count];
        for (int s = 0; s < states.Length; s++) states[s] = b.Rule($"{name}-{s}");

        for (int s = 0; s < states.Length; s++)
        {
            var finish = default(ByteSet);
            var toState = new ByteSet[states.Length];
            for (int v = 0; v < 256; v++)
            {
                byte[] text = [.. prefixes[s], (byte)v];
                switch (Outcome(text, end, forbidden, index, out int next))
                {
                    case 1: finish |= ByteSet.Of((byte)v); break;
                    case 0: toState[next] |= ByteSet.Of((byte)v); break;
                }
            }
            var options = new List<GrammarNode>();
            for (int j = 0; j < states.Length; j++)
                if (!toState[j].IsEmpty) options.Add(GrammarNode.Sequence(GrammarNode.Set(toState[j]), new GrammarNode.Ref(states[j])));
            if (!finish.IsEmpty) options.Add(GrammarNode.Set(finish));
            b.Define(states[s], GrammarNode.Choice(options));
        }
        return new GrammarNode.Ref(states[index[""]]);
    }

    /// <summary>1: the text now ends with the end marker; −1: with a forbidden one; 0: go on in state
    /// <paramref name="next"/>, the longest suffix of the text that is a proper prefix of a marker.</summary>
    private static int Outcome(byte[] text, byte[] end, byte[][] forbidden, Dictionary<string, int> index, out int next)
    {
        next = 0;
        if (text.AsSpan().EndsWith(end)) return 1;
        foreach (var f in forbidden)
            if (text.AsSpan().EndsWith(f)) return -1;
        for (int len = text.Length; len >= 0; len--)
            if (index.TryGetValue(Key(text.AsSpan(text.Length - len)), out next)) return 0;
        throw new InvalidOperationException("the empty prefix is always a state");
    }

    private static string Key(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
