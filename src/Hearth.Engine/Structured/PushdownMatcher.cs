using System.Runtime.CompilerServices;

namespace Hearth.Engine.Structured;

/// <summary>Where the matcher stands: the element to match next (always a terminal) and the continuation stack
/// beneath it (a node of the arena, -1 for none), and for a <see cref="ElementKind.Utf8"/> element the decoder state
/// inside the character (0 at its start).</summary>
internal readonly record struct StackTop(int Pos, int Parent, int Sub = 0);

/// <summary>A nondeterministic pushdown matcher over one <see cref="Grammar"/> (the llama.cpp scheme): the state is
/// a set of stacks, each with a byte-set element on top; a byte keeps the stacks whose top admits it, advanced and
/// re-expanded (rule references push their continuation unless it is the end of the alternative — a tail call, so
/// repetitions do not grow stacks). Continuations live in an arena of (position, parent) nodes shared by stacks.
/// <see cref="FillMask"/> walks the <see cref="TokenTrie"/> with a stack of states (one per trie depth) and drops
/// the arena nodes it made afterwards. Not thread-safe: one per sequence.</summary>
internal sealed partial class PushdownMatcher
{
    /// <summary>More live stacks than this means a wildly ambiguous grammar; refused rather than slowing the engine.</summary>
    public const int MaxStacks = 4096;

    private readonly Grammar _g;
    private readonly ElementKind[] _kinds;
    private readonly int[] _args;
    private readonly ByteSet[] _sets;
    private int[] _nodePos = new int[64];
    private int[] _nodeParent = new int[64];
    private int _nodes;
    private StackTop[] _buf = new StackTop[64];
    private StackTop[] _current;
    private int _currentCount;
    private int[] _levelStart = [], _levelEnd = [], _levelNodes = [];

    public PushdownMatcher(Grammar grammar)
    {
        _g = grammar;
        _kinds = grammar.Kinds;
        _args = grammar.Args;
        _sets = grammar.Sets;
        bool accepting = false;
        int end = 0;
        Expand(0, -1, 0, ref end, ref accepting);
        _current = _buf[..end];
        _currentCount = end;
        IsAccepting = accepting;
    }

    /// <summary>The bytes so far form a complete sentence (an end token may come now).</summary>
    public bool IsAccepting { get; private set; }

    /// <summary>No byte can follow (the sentence is complete and cannot grow).</summary>
    public bool IsTerminated => _currentCount == 0;

    public Grammar Grammar => _g;

    /// <summary>Consumes bytes; false (and no change) when the grammar rejects them.</summary>
    public bool TryAdvance(ReadOnlySpan<byte> bytes)
    {
        EnsureBuffer(_currentCount);
        Array.Copy(_current, _buf, _currentCount);
        int start = 0, end = _currentCount;
        bool accepting = IsAccepting;
        int nodesBefore = _nodes;
        foreach (byte b in bytes)
        {
            int next = Advance(start, end, b, out accepting);
            if (next == end && !accepting)
            {
                _nodes = nodesBefore;
                return false;
            }
            start = end;
            end = next;
        }
        if (_current.Length < end - start) _current = new StackTop[Math.Max(end - start, _current.Length * 2)];
        Array.Copy(_buf, start, _current, 0, end - start);
        _currentCount = end - start;
        IsAccepting = accepting;
        return true;
    }

    /// <summary>Sets bit t of <paramref name="mask"/> for every trie token the grammar accepts next (whole token).
    /// End tokens are not touched here.</summary>
    public void FillMask(TokenTrie trie, Span<ulong> mask)
    {
        mask.Clear();
        if (_currentCount == 0) return;
        if (LoopClass() is { } loop)
        {
            // Inside a character loop (a JSON string, a regex [..]*): every token made only of the loop's characters is
            // allowed whatever else the stacks hold; only the other tokens need the walk (a much smaller trie).
            var split = trie.ClassSplit(loop.Set, loop.Utf8);
            split.Pure.CopyTo(mask);
            Walk(split.Rest, mask);
            return;
        }
        Walk(trie, mask, splitRuns: true);
    }

    /// <summary>The class of a stack top that loops on itself — a byte-set element, or a UTF-8 character element at a
    /// character boundary, that after one byte (character) of its class is on top again with the same continuation —
    /// and whether it is a UTF-8 one; null when no stack does.</summary>
    private (ByteSet Set, bool Utf8)? LoopClass()
    {
        for (int i = 0; i < _currentCount; i++)
        {
            var top = _current[i];
            bool utf8 = _kinds[top.Pos] == ElementKind.Utf8;
            if (utf8 && top.Sub != 0) continue;
            var cls = _sets[_args[top.Pos]];
            int r = FirstByte(cls);
            if (r < 0 || (utf8 && r >= 0x80)) continue;
            int nodes = _nodes;
            EnsureBuffer(1);
            _buf[0] = top;
            int end = Advance(0, 1, (byte)r, out _);
            bool loops = false;
            for (int k = 1; k < end && !loops; k++) loops = SameStack(_buf[k], top);
            _nodes = nodes;
            if (loops) return (cls, utf8);
        }
        return null;
    }

    /// <summary>The same stack: same top and the same continuation positions all the way down (arena nodes may differ:
    /// a loop through a rule call pushes a fresh node for the same continuation).</summary>
    private bool SameStack(StackTop a, StackTop b)
    {
        if (a.Pos != b.Pos || a.Sub != b.Sub) return false;
        int p = a.Parent, q = b.Parent;
        while (p != q)
        {
            if (p < 0 || q < 0 || _nodePos[p] != _nodePos[q]) return false;
            p = _nodeParent[p];
            q = _nodeParent[q];
        }
        return true;
    }

    private static int FirstByte(ByteSet set)
    {
        for (int b = 0; b < 256; b++) if (set.Contains((byte)b)) return b;
        return -1;
    }

    /// <summary>Writes a signature of the state (every stack, top to bottom) for the mask cache.</summary>
    public void Signature(List<int> into)
    {
        into.Clear();
        into.Add(IsAccepting ? 1 : 0);
        for (int i = 0; i < _currentCount; i++)
        {
            into.Add(_current[i].Pos);
            into.Add(_current[i].Sub);
            for (int p = _current[i].Parent; p >= 0; p = _nodeParent[p]) into.Add(_nodePos[p]);
            into.Add(-1);
        }
    }

    /// <summary>Advances stacks _buf[s0..s1) by one byte into _buf[s1..); returns the new end (s1: rejected).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Advance(int s0, int s1, byte b, out bool accepting)
    {
        accepting = false;
        int end = s1;
        for (int i = s0; i < s1; i++)
        {
            var top = _buf[i];
            if (_kinds[top.Pos] == ElementKind.Bytes)
            {
                if (_sets[_args[top.Pos]].Contains(b)) Expand(top.Pos + 1, top.Parent, s1, ref end, ref accepting);
                continue;
            }
            int sub = top.Sub == 0 && b < 0x80 ? (_sets[_args[top.Pos]].Contains(b) ? 0 : -1) : Utf8Decoder.Step(top.Sub, b);
            if (sub == 0) Expand(top.Pos + 1, top.Parent, s1, ref end, ref accepting);
            else if (sub > 0) AddTop(new StackTop(top.Pos, top.Parent, sub), s1, ref end);
        }
        return end;
    }

    /// <summary>Expands the element at pos (continuation parent) into stacks with a byte set on top, appended to
    /// _buf[from..end) without duplicates; reaching the end of the entry sets accepting.</summary>
    private void Expand(int pos, int parent, int from, ref int end, ref bool accepting)
    {
        while (true)
        {
            switch (_kinds[pos])
            {
                case ElementKind.Bytes or ElementKind.Utf8:
                    AddTop(new StackTop(pos, parent), from, ref end);
                    return;
                case ElementKind.End:
                    if (parent < 0)
                    {
                        accepting = true;
                        return;
                    }
                    pos = _nodePos[parent];
                    parent = _nodeParent[parent];
                    continue;
                default:
                    int cont = pos + 1;
                    int next = _kinds[cont] == ElementKind.End ? parent : Push(cont, parent);
                    int rule = _args[pos];
                    var firstAlt = _g.RuleFirstAlt;
                    var altStarts = _g.AltStarts;
                    for (int a = firstAlt[rule]; a < firstAlt[rule + 1]; a++) Expand(altStarts[a], next, from, ref end, ref accepting);
                    return;
            }
        }
    }

    private void AddTop(StackTop top, int from, ref int end)
    {
        for (int i = from; i < end; i++)
            if (_buf[i] == top) return;
        if (end - from >= MaxStacks) throw new GrammarException("the grammar is too ambiguous to match (too many parallel parses)");
        EnsureBuffer(end + 1);
        _buf[end++] = top;
    }

    private int Push(int pos, int parent)
    {
        if (_nodes == _nodePos.Length)
        {
            Array.Resize(ref _nodePos, _nodes * 2);
            Array.Resize(ref _nodeParent, _nodes * 2);
        }
        _nodePos[_nodes] = pos;
        _nodeParent[_nodes] = parent;
        return _nodes++;
    }

    private void EnsureBuffer(int size)
    {
        if (_buf.Length < size) Array.Resize(ref _buf, Math.Max(size, _buf.Length * 2));
    }
}
