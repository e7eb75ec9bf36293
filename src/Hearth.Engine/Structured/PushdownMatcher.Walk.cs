namespace Hearth.Engine.Structured;

/// <summary>The trie walk of <see cref="PushdownMatcher.FillMask"/>, with runs: when every stack takes either all or
/// none of a set R of ASCII bytes (R is narrowed until that holds) (a JSON string's characters, a format's [a-z0-9]{1,20}), the state after d bytes of
/// R depends only on d. Those states S_1…S_m are computed once per mask, so a trie node whose path from the root is
/// all R takes S_d without advancing any stack; only a node that leaves the run advances (from S_d, copied in).
/// Most of a 128k vocabulary sits under such paths.</summary>
internal sealed partial class PushdownMatcher
{
    private static readonly ByteSet Ascii = ByteSet.Range(0, 0x7F), High = ByteSet.Range(0x80, 0xFF);
    private ByteSet[] _runTakes = [];
    private StackTop[] _runBuf = new StackTop[64];
    private int[] _runStart = [], _runEnd = [];
    private bool[] _runComplete = [], _levelRun = [];
    private ByteSet _runSet;
    private int _runLength;

    /// <summary>The trie walk: ORs into <paramref name="mask"/> every token of <paramref name="trie"/> the stacks accept.</summary>
    private void Walk(TokenTrie trie, Span<ulong> mask)
    {
        int depthCap = trie.MaxDepth + 1;
        if (_levelStart.Length < depthCap)
        {
            _levelStart = new int[depthCap];
            _levelEnd = new int[depthCap];
            _levelNodes = new int[depthCap];
            _levelRun = new bool[depthCap];
            _runStart = new int[depthCap];
            _runEnd = new int[depthCap];
            _runComplete = new bool[depthCap];
            _runTakes = new ByteSet[depthCap];
        }
        int baseNodes = _nodes;
        ComputeRun(trie.MaxDepth); // its arena nodes stay until the walk ends
        int count = _currentCount;
        EnsureBuffer(count);
        Array.Copy(_current, _buf, count);
        _levelStart[0] = 0;
        _levelEnd[0] = count;
        _levelNodes[0] = _nodes;
        _levelRun[0] = _runLength > 0;
        int materialized = 0; // S_materialized sits in _buf right after the root's stacks (0: none)
        var nodeByte = trie.NodeByte;
        var nodeDepth = trie.NodeDepth;
        var subtreeEnd = trie.SubtreeEnd;
        var tokStart = trie.TokenStart;
        var tokens = trie.Tokens;
        int n = nodeByte.Length;
        for (int i = 0; i < n;)
        {
            int d = nodeDepth[i];
            int p = d - 1;
            byte b = nodeByte[i];
            bool alive, complete;
            if (_levelRun[p] && d <= _runLength && _runSet.Contains(b))
            {
                // Still on the run: the state is S_d, whichever bytes of R led here.
                alive = _runEnd[d] > _runStart[d];
                complete = _runComplete[d];
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
                _levelRun[d] = true;
                _levelNodes[d] = _levelNodes[0];
                i++;
                continue;
            }
            if (_levelRun[p] && !_runTakes[p].Contains(b))
            {
                i = subtreeEnd[i]; // no stack of S_p takes this byte: no need to copy S_p in and advance
                continue;
            }
            if (_levelRun[p] && p > 0 && materialized != p)
            {
                int len = _runEnd[p] - _runStart[p];
                EnsureBuffer(count + len);
                Array.Copy(_runBuf, _runStart[p], _buf, count, len);
                _levelStart[p] = count;
                _levelEnd[p] = count + len;
                materialized = p;
            }
            if (p == 0) materialized = 0; // the root's children are written where S_p was copied
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
            _levelNodes[d] = _nodes;
            _levelRun[d] = false;
            i++;
        }
        _nodes = baseNodes;
    }

    private static void Mark(Span<ulong> mask, int[] tokStart, int[] tokens, int node)
    {
        for (int k = tokStart[node]; k < tokStart[node + 1]; k++)
        {
            int t = tokens[k];
            mask[t >> 6] |= 1UL << (t & 63);
        }
    }

    /// <summary>Picks R (the widest ASCII part of a stack top's set, narrowed at each step) and computes
    /// S_1…S_m from the current stacks; m = <see cref="_runLength"/> (0: no run).</summary>
    private void ComputeRun(int maxDepth)
    {
        _runLength = 0;
        _runSet = ByteSet.Empty;
        for (int i = 0; i < _currentCount; i++)
            if (TakesAscii(_current[i]) is var takes && takes.Count > _runSet.Count) _runSet = takes; // the widest class
        if (_runSet.IsEmpty) return;
        EnsureBuffer(_currentCount);
        Array.Copy(_current, _buf, _currentCount);
        int s0 = 0, s1 = _currentCount, stored = 0;
        _runTakes[0] = Takes(s0, s1);
        for (int d = 1; d <= maxDepth; d++)
        {
            // R only shrinks: the states already computed hold for every byte of a subset too.
            if (!Refine(s0, s1)) return;
            byte r = 0;
            while (!_runSet.Contains(r)) r++;
            int end = Advance(s0, s1, r, out bool complete);
            int len = end - s1;
            if (_runBuf.Length < stored + len) Array.Resize(ref _runBuf, Math.Max(stored + len, _runBuf.Length * 2));
            Array.Copy(_buf, s1, _runBuf, stored, len);
            _runStart[d] = stored;
            _runEnd[d] = stored + len;
            _runComplete[d] = complete;
            _runTakes[d] = Takes(s1, end);
            stored += len;
            _runLength = d;
            if (len == 0) return;
            Array.Copy(_buf, s1, _buf, 0, len); // S_d becomes the base of the next step
            s0 = 0;
            s1 = len;
        }
    }

    /// <summary>Shrinks R until every stack of _buf[s0..s1) takes all of it or none of it (so one byte stands for
    /// all); false when nothing is left.</summary>
    private bool Refine(int s0, int s1)
    {
        for (bool changed = true; changed && !_runSet.IsEmpty;)
        {
            changed = false;
            for (int i = s0; i < s1; i++)
            {
                var both = TakesAscii(_buf[i]) & _runSet;
                if (!both.IsEmpty && both != _runSet)
                {
                    _runSet = both;
                    changed = true;
                }
            }
        }
        return !_runSet.IsEmpty;
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
