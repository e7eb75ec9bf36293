namespace Hearth.Engine.Structured;

/// <summary>Refuses grammars where a rule can reach itself without consuming a byte (left recursion, or a
/// repetition of something that can be empty): the top-down matcher would expand such a rule forever.</summary>
internal static class LeftRecursionCheck
{
    public static void Run(Grammar g)
    {
        var nullable = Nullable(g);
        int rules = g.RuleCount;
        var state = new byte[rules]; // 0 unvisited, 1 on the DFS path, 2 done
        var path = new Stack<(int Rule, IEnumerator<int> Next)>();
        for (int root = 0; root < rules; root++)
        {
            if (state[root] != 0) continue;
            state[root] = 1;
            path.Push((root, LeftCorners(g, nullable, root).GetEnumerator()));
            while (path.Count > 0)
            {
                var (rule, next) = path.Peek();
                if (!next.MoveNext())
                {
                    state[rule] = 2;
                    path.Pop();
                    continue;
                }
                int child = next.Current;
                if (state[child] == 1)
                    throw new GrammarException($"the grammar is left-recursive at rule '{Name(g, child)}' (a rule reaches itself without consuming input)");
                if (state[child] == 0)
                {
                    state[child] = 1;
                    path.Push((child, LeftCorners(g, nullable, child).GetEnumerator()));
                }
            }
        }
    }

    private static string Name(Grammar g, int rule) => g.RuleNames[rule].StartsWith('_') ? "(a repetition or group)" : g.RuleNames[rule];

    /// <summary>Rules that can start rule r: referenced before any byte, past nullable references only.</summary>
    private static IEnumerable<int> LeftCorners(Grammar g, bool[] nullable, int r)
    {
        for (int a = g.RuleFirstAlt[r]; a < g.RuleFirstAlt[r + 1]; a++)
        {
            for (int e = g.AltStarts[a]; g.Kinds[e] == ElementKind.Ref; e++)
            {
                yield return g.Args[e];
                if (!nullable[g.Args[e]]) break;
            }
        }
    }

    private static bool[] Nullable(Grammar g)
    {
        var nullable = new bool[g.RuleCount];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int r = 0; r < g.RuleCount; r++)
            {
                if (nullable[r]) continue;
                for (int a = g.RuleFirstAlt[r]; a < g.RuleFirstAlt[r + 1] && !nullable[r]; a++)
                {
                    int e = g.AltStarts[a];
                    while (g.Kinds[e] == ElementKind.Ref && nullable[g.Args[e]]) e++;
                    if (g.Kinds[e] == ElementKind.End) nullable[r] = changed = true;
                }
            }
        }
        return nullable;
    }
}
