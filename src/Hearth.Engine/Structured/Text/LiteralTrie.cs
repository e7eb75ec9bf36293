using System.Text;

namespace Hearth.Engine.Structured.Text;

/// <summary>A choice among literal strings, factored by common prefix ("cat" | "car" becomes "ca" [tr]), so the
/// matcher follows one path instead of one stack per option.</summary>
internal static class LiteralTrie
{
    public static GrammarNode Node(IEnumerable<string> options) => Node(options.Select(Encoding.UTF8.GetBytes));

    public static GrammarNode Node(IEnumerable<byte[]> options)
    {
        var sorted = options.Distinct(ByteArrayComparer.Instance).OrderBy(x => x, ByteArrayComparer.Instance).ToList();
        if (sorted.Count == 0) throw new GrammarException("a choice needs at least one option");
        return Build(sorted, 0);
    }

    private static GrammarNode Build(List<byte[]> words, int depth)
    {
        var options = new List<GrammarNode>();
        bool endsHere = false;
        int i = 0;
        while (i < words.Count)
        {
            if (words[i].Length == depth) { endsHere = true; i++; continue; }
            byte b = words[i][depth];
            int j = i;
            while (j < words.Count && words[j].Length > depth && words[j][depth] == b) j++;
            var group = words.GetRange(i, j - i);
            // Walk a run where the group does not branch, to emit it as one literal.
            int end = depth + 1;
            while (group.All(w => w.Length > end) && group.All(w => w[end] == group[0][end]) && group.All(w => w.Length > end)) end++;
            var head = GrammarNode.Literal(group[0].AsSpan(depth, end - depth));
            bool single = group.Count == 1 && group[0].Length == end;
            options.Add(single ? head : GrammarNode.Sequence(head, Build(group, end)));
            i = j;
        }
        if (endsHere) options.Add(GrammarNode.Empty);
        return GrammarNode.Choice(options);
    }

    private sealed class ByteArrayComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj)
        {
            var h = new HashCode();
            h.AddBytes(obj);
            return h.ToHashCode();
        }
    }
}
