namespace Hearth.Engine.Structured;

/// <summary>The trie walk of <see cref="PushdownMatcher.FillMask"/>, with runs: when every stack takes either all or
/// none of a set R of ASCII bytes (R is narrowed until that holds) (a JSON string's characters, a format's
/// [a-z0-9]{1,20}), the state after r bytes of R depends only on r. Those states S_1…S_m are computed once, so a trie
/// node whose path from the run's base is all R takes S_r without advancing any stack; only a node that leaves the run
/// advances (from S_r, copied in). Runs nest: the root has one, and a node that left a run and heads a large subtree
/// (an email's "." after the first label, with thousands of ".xyz" tokens below it) opens its own for that subtree.
/// Most of a 128k vocabulary sits under such paths.</summary>
internal sealed partial class PushdownMatcher
{
    private static readonly ByteSet Ascii = ByteSet.Range(0, 0x7F), High = ByteSet.Range(0x80, 0xFF);

    /// <summary>A node that left a run opens a nested one only above this many descendants: computing a run costs up to
    /// one advance per byte of its length, worth it only where many nodes reuse it. (Settable so tests can open nested
    /// runs everywhere on a small vocabulary.)</summary>
    internal int NestedRunMinSubtree { get; init; } = 512;

    /// <summary>A run: based on the state of trie level <see cref="Base"/> (materialized in _buf), its states S_r for
    /// r = 1..<see cref="Length"/> in run slots <see cref="Slot"/> + r (slot + 0 holds what the base state takes);
    /// valid for the trie nodes before <see cref="EndNode"/>. <see cref="Materialized"/>: which S_r is copied into
    /// _buf right after the base's stacks (0: none).</summary>
    private struct RunContext
    {
        public int Base, Slot, Length, EndNode, ArenaMark, BufMark, Materialized;
        public ByteSet Set;
    }

    private RunContext[] _runs = new RunContext[8];
    private int _runCount;
    private int[] _runStart = new int[64], _runEnd = new int[64];
    private bool[] _runComplete = new bool[64];
    private ByteSet[] _runTakes = new ByteSet[64];
    private int _slotTop;
    private StackTop[] _runBuf = new StackTop[64];
    private int _runBufTop;
    private int[] _levelRun = []; // per trie level: the run whose S_(level - base) is its state, or -1 (materialized)

    /// <summary>The trie walk: ORs into <paramref name="mask"/> every token of <paramref name="trie"/> the stacks accept.
    /// With <paramref name="splitRuns"/>, a root run that ends (its last state dead: a bounded class such as a format's
    /// [a-z0-9]{1,20}) marks the tokens made only of its bytes from the class split by length, and walks only the
    /// rest of the vocabulary.</summary>
    private void Walk(TokenTrie trie, Span<ulong> mask, bool splitRuns = false)
    {
        int depthCap = trie.MaxDepth + 1;
        if (_levelStart.Length < depthCap)
        {
            _levelStart = new int[depthCap];
            _levelEnd = new int[depthCap];
            _levelNodes = new int[depthCap];
            _levelRun = new int[depthCap];
        }
        int baseNodes = _nodes;
        int count = _currentCount;
        EnsureBuffer(count);
        Array.Copy(_current, _buf, count);
        _levelStart[0] = 0;
        _levelEnd[0] = count;
        _runCount = _slotTop = _runBufTop = 0;
        _levelRun[0] = OpenRun(0, trie.MaxDepth, int.MaxValue); // its arena nodes stay until the walk ends
        _levelNodes[0] = _nodes;
        if (splitRuns && _levelRun[0] >= 0 && SplitRootRun(trie, mask) is { } rest) trie = rest;
        var nodeByte = trie.NodeByte;
        var nodeDepth = trie.NodeDepth;
        var subtreeEnd = trie.SubtreeEnd;
        var tokStart = trie.TokenStart;
        var tokens = trie.Tokens;
        int n = nodeByte.Length;
        for (int i = 0; i < n;)
        {
            while (_runCount > 0 && _runs[_runCount - 1].EndNode <= i) CloseRun();
            int d = nodeDepth[i];
            int p = d - 1;
            byte b = nodeByte[i];
            bool alive, complete;
            int c = _levelRun[p];
            if (c >= 0)
            {
                ref var run = ref _runs[c];
                int r = p - run.Base;
                if (r < run.Length && run.Set.Contains(b))
                {
                    // Still on the run: the state is S_(r+1), whichever bytes of R led here.
                    int slot = run.Slot + r + 1;
                    alive = _runEnd[slot] > _runStart[slot];
                    complete = _runComplete[slot];
                    if (!alive && !complete)
                    {
                        i = subtreeEnd[i];
                        continue;
                    }
                    Mark(mask, tokStart, tokens, i);
                    if (!alive)
                    {
                        i = subtreeEnd[i];
                        continue;
                    }
                    _levelRun[d] = c;
                    _levelNodes[d] = run.ArenaMark;
                    i++;
                    continue;
                }
                if (!_runTakes[run.Slot + r].Contains(b))
                {
                    i = subtreeEnd[i]; // no stack of S_r takes this byte: no need to copy S_r in and advance
                    continue;
                }
                if (r == 0) run.Materialized = 0; // the base's children are written where S_r was copied
                else if (run.Materialized != r)
                {
                    int slot = run.Slot + r;
                    int len = _runEnd[slot] - _runStart[slot];
                    int at = _levelEnd[run.Base];
                    EnsureBuffer(at + len);
                    Array.Copy(_runBuf, _runStart[slot], _buf, at, len);
                    _levelStart[p] = at;
                    _levelEnd[p] = at + len;
                    run.Materialized = r;
                }
            }
            _nodes = _levelNodes[p];
            int s1 = _levelEnd[p];
            int end = Advance(_levelStart[p], s1, b, out complete);
            alive = end != s1;
            if (!alive && !complete)
            {
                i = subtreeEnd[i];
                continue;
            }
            Mark(mask, tokStart, tokens, i);
            if (!alive)
            {
                i = subtreeEnd[i]; // the grammar is complete here: no longer token can fit
                continue;
            }
            _levelStart[d] = s1;
            _levelEnd[d] = end;
            _levelRun[d] = subtreeEnd[i] - i > NestedRunMinSubtree ? OpenRun(d, trie.MaxDepth - d, subtreeEnd[i]) : -1;
            _levelNodes[d] = _nodes; // after the run's arena nodes, if one was opened
            i++;
        }
        _nodes = baseNodes;
    }

    /// <summary>Classes narrower than this are not split: few tokens are made only of them, so the walk is cheap anyway.</summary>
    private const int MinSplitClass = 10;

    /// <summary>When the root run ends dead after m bytes, the tokens made only of its bytes are decided by length alone:
    /// up to m - 1 bytes allowed (every S_r alive), m bytes allowed if S_m is complete, longer ones not (and a run alive
    /// for as many bytes as the longest token allows them all). Marks them and returns the trie of the other tokens to
    /// walk; null when the run stopped early (its class narrowed to nothing) or its class is not split.</summary>
    private TokenTrie? SplitRootRun(TokenTrie trie, Span<ulong> mask)
    {
        ref var run = ref _runs[_levelRun[0]];
        int last = run.Slot + run.Length;
        bool endsDead = _runEnd[last] == _runStart[last];
        // A run as long as the longest token, alive to its end, decides every pure token too: all are allowed.
        if (!endsDead && run.Length < trie.MaxDepth || run.Set.Count < MinSplitClass) return null;
        if (trie.TryRunSplit(run.Set) is not { } split) return null;
        split.OrPureUpTo(endsDead ? run.Length - 1 : run.Length, mask);
        if (endsDead && _runComplete[last]) split.OrPureOfLength(run.Length, mask);
        return split.Rest;
    }

    private static void Mark(Span<ulong> mask, int[] tokStart, int[] tokens, int node)
    {
        for (int k = tokStart[node]; k < tokStart[node + 1]; k++)
        {
            int t = tokens[k];
            mask[t >> 6] |= 1UL << (t & 63);
        }
    }

    /// <summary>Computes a run based on level <paramref name="level"/>'s stacks: picks R (the widest ASCII part of a stack
    /// top's set, narrowed at each step) and computes S_1…S_m, m ≤ <paramref name="maxDepth"/>. Returns the run's index,
    /// or -1 when there is none.</summary>
    private int OpenRun(int level, int maxDepth, int endNode)
    {
        int baseStart = _levelStart[level], baseEnd = _levelEnd[level];
        var set = ByteSet.Empty;
        for (int i = baseStart; i < baseEnd; i++)
            if (TakesAscii(_buf[i]) is var takes && takes.Count > set.Count) set = takes; // the widest class
        if (set.IsEmpty || maxDepth <= 0) return -1;
        // Work after the base's stacks: S_(r-1) at [s0, s1), S_r advanced into [s1, end).
        int s0 = baseEnd, s1 = s0 + (baseEnd - baseStart);
        EnsureBuffer(s1);
        Array.Copy(_buf, baseStart, _buf, s0, baseEnd - baseStart);
        int slot = _slotTop;
        EnsureSlots(slot + maxDepth + 1);
        _runTakes[slot] = Takes(s0, s1);
        int bufMark = _runBufTop, stored = _runBufTop, length = 0;
        for (int r = 1; r <= maxDepth; r++)
        {
            // R only shrinks: the states already computed hold for every byte of a subset too.
            if (!Refine(ref set, s0, s1)) break;
            byte rb = 0;
            while (!set.Contains(rb)) rb++;
            int end = Advance(s0, s1, rb, out bool complete);
            int len = end - s1;
            if (_runBuf.Length < stored + len) Array.Resize(ref _runBuf, Math.Max(stored + len, _runBuf.Length * 2));
            Array.Copy(_buf, s1, _runBuf, stored, len);
            _runStart[slot + r] = stored;
            _runEnd[slot + r] = stored + len;
            _runComplete[slot + r] = complete;
            _runTakes[slot + r] = Takes(s1, end);
            stored += len;
            length = r;
            if (len == 0) break;
            Array.Copy(_buf, s1, _buf, s0, len); // S_r becomes the base of the next step
            s1 = s0 + len;
        }
        if (length == 0) return -1;
        if (_runCount == _runs.Length) Array.Resize(ref _runs, _runs.Length * 2);
        _runs[_runCount] = new RunContext
        {
            Base = level, Slot = slot, Length = length, Set = set, EndNode = endNode, ArenaMark = _nodes, BufMark = bufMark,
        };
        _slotTop = slot + length + 1;
        _runBufTop = stored;
        return _runCount++;
    }

    /// <summary>Drops the innermost run (the walk has left its subtree).</summary>
    private void CloseRun()
    {
        ref var run = ref _runs[--_runCount];
        _slotTop = run.Slot;
        _runBufTop = run.BufMark;
    }

    private void EnsureSlots(int size)
    {
        if (_runStart.Length >= size) return;
        int grown = Math.Max(size, _runStart.Length * 2);
        Array.Resize(ref _runStart, grown);
        Array.Resize(ref _runEnd, grown);
        Array.Resize(ref _runComplete, grown);
        Array.Resize(ref _runTakes, grown);
    }

    /// <summary>Shrinks R until every stack of _buf[s0..s1) takes all of it or none of it (so one byte stands for
    /// all); false when nothing is left.</summary>
    private bool Refine(ref ByteSet set, int s0, int s1)
    {
        for (bool changed = true; changed && !set.IsEmpty;)
        {
            changed = false;
            for (int i = s0; i < s1; i++)
            {
                var both = TakesAscii(_buf[i]) & set;
                if (!both.IsEmpty && both != set)
                {
                    set = both;
                    changed = true;
                }
            }
        }
        return !set.IsEmpty;
    }

    /// <summary>A superset of the bytes the stacks _buf[s0..s1) take next.</summary>
    private ByteSet Takes(int s0, int s1)
    {
        var all = ByteSet.Empty;
        for (int i = s0; i < s1; i++)
        {
            var top = _buf[i];
            all |= _kinds[top.Pos] != ElementKind.Utf8 ? _sets[_args[top.Pos]] : top.Sub == 0 ? (_sets[_args[top.Pos]] & Ascii) | High : High;
        }
        return all;
    }

    /// <summary>The ASCII bytes a stack top takes (a UTF-8 element inside a character takes only continuation bytes).</summary>
    private ByteSet TakesAscii(StackTop top) =>
        _kinds[top.Pos] == ElementKind.Utf8 && top.Sub != 0 ? ByteSet.Empty : _sets[_args[top.Pos]] & Ascii;
}
