using System.Runtime.CompilerServices;
using Hearth.Core.Tokenizers;

namespace Hearth.Engine.Structured;

/// <summary>The vocabulary as a byte trie laid out in pre-order (as llguidance and xgrammar do): node i has a byte,
/// a depth, and the index just past its subtree, so a mask walk is one forward loop that skips a whole subtree when
/// the grammar rejects its prefix. Tokens that contribute no bytes (control tokens) are not in the trie; end-of-
/// generation tokens are listed apart. One trie per tokenizer, built once and shared.</summary>
public sealed class TokenTrie
{
    private static readonly ConditionalWeakTable<ITokenizer, TokenTrie> ByTokenizer = new();

    private TokenTrie(int vocabSize, byte[][] pieces, byte[] bytes, int[] depth, int[] subtreeEnd, int[] tokStart, int[] tokens, int[] endTokens, int maxDepth)
    {
        VocabSize = vocabSize;
        _pieces = pieces;
        NodeByte = bytes;
        NodeDepth = depth;
        SubtreeEnd = subtreeEnd;
        TokenStart = tokStart;
        Tokens = tokens;
        EndTokens = endTokens;
        _endSet = endTokens;
        MaxDepth = maxDepth;
    }

    private readonly byte[][] _pieces;
    private readonly int[] _endSet;

    public int VocabSize { get; }

    /// <summary>The bytes token t contributes (empty for control and end tokens).</summary>
    public ReadOnlySpan<byte> TokenBytes(int t) => (uint)t < (uint)_pieces.Length ? _pieces[t] : [];

    /// <summary>Whether t is an end-of-generation token.</summary>
    public bool IsEnd(int t) => Array.IndexOf(_endSet, t) >= 0;
    public int NodeCount => NodeByte.Length;
    public int MaxDepth { get; }
    internal byte[] NodeByte { get; }
    /// <summary>1 for a child of the root.</summary>
    internal int[] NodeDepth { get; }
    internal int[] SubtreeEnd { get; }
    /// <summary>Tokens ending at node i are <c>Tokens[TokenStart[i] .. TokenStart[i + 1])</c>.</summary>
    internal int[] TokenStart { get; }
    internal int[] Tokens { get; }
    /// <summary>End-of-generation tokens: allowed exactly where the grammar may end.</summary>
    public IReadOnlyList<int> EndTokens { get; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ByteSet, bool), ClassSplitResult> _splits = new();

    /// <summary>How many loop classes have been split (tests check the shortcut ran).</summary>
    internal int ClassSplits => _splits.Count;

    /// <summary>The vocabulary split for a loop over class <paramref name="cls"/> — bytes of the set, or with
    /// <paramref name="utf8"/> characters (ASCII bytes of the set, any well-formed multi-byte character):
    /// <see cref="ClassSplitResult.Pure"/> marks the tokens made only of those (possibly ending inside a character),
    /// which the loop accepts whatever else follows; <see cref="ClassSplitResult.Rest"/> is the trie of the other
    /// tokens. Computed once per class.</summary>
    internal ClassSplitResult ClassSplit(ByteSet cls, bool utf8) => _splits.GetOrAdd((cls, utf8), key =>
    {
        var (c, u) = key;
        var pure = new ulong[(VocabSize + 63) / 64];
        var rest = new byte[VocabSize][];
        var byLength = new List<int>[MaxDepth + 1];
        for (int t = 0; t < VocabSize; t++)
        {
            var p = _pieces[t];
            rest[t] = [];
            if (p.Length == 0) continue;
            if (u ? IsPureUtf8(p, c) : IsPureBytes(p, c))
            {
                pure[t >> 6] |= 1UL << (t & 63);
                (byLength[p.Length] ??= []).Add(t);
            }
            else rest[t] = p;
        }
        return new ClassSplitResult(pure, Build(VocabSize, t => rest[t], _ => false), [.. byLength.Select(l => l?.ToArray() ?? [])]);
    });

    /// <summary>Splits kept at most (each holds a trie of the rest of the vocabulary): beyond this many classes a bounded
    /// run is walked without its split rather than growing memory without bound.</summary>
    private const int MaxRunSplits = 32;

    /// <summary><see cref="ClassSplit"/> for a bounded run's class (bytes only), or null when the cache is full.</summary>
    internal ClassSplitResult? TryRunSplit(ByteSet cls) =>
        _splits.TryGetValue((cls, false), out var split) ? split : _splits.Count < MaxRunSplits ? ClassSplit(cls, false) : null;

    private static bool IsPureBytes(byte[] piece, ByteSet cls)
    {
        foreach (byte b in piece)
            if (!cls.Contains(b)) return false;
        return true;
    }

    private static bool IsPureUtf8(byte[] piece, ByteSet cls)
    {
        int sub = 0;
        foreach (byte b in piece)
        {
            sub = sub == 0 && b < 0x80 ? (cls.Contains(b) ? 0 : -1) : Utf8Decoder.Step(sub, b);
            if (sub < 0) return false;
        }
        return true;
    }

    /// <summary>The trie of a tokenizer's vocabulary (cached per tokenizer instance).</summary>
    public static TokenTrie For(ITokenizer tokenizer, int vocabSize) =>
        ByTokenizer.GetValue(tokenizer, t => Build(vocabSize, i => i < t.VocabSize && !t.IsEndOfGeneration(i) ? t.TokenBytes(i) : [],
            i => i < t.VocabSize && t.IsEndOfGeneration(i)));

    /// <summary>Builds a trie from each token's bytes (empty: not generable under a grammar).</summary>
    public static TokenTrie Build(int vocabSize, Func<int, byte[]> tokenBytes, Func<int, bool> isEnd)
    {
        var pieces = new byte[vocabSize][];
        var ids = new List<int>(vocabSize);
        var ends = new List<int>();
        for (int i = 0; i < vocabSize; i++)
        {
            pieces[i] = tokenBytes(i);
            if (isEnd(i)) ends.Add(i);
            else if (pieces[i].Length > 0) ids.Add(i);
        }
        ids.Sort((a, b) => pieces[a].AsSpan().SequenceCompareTo(pieces[b]));

        var bytes = new List<byte>();
        var depth = new List<int>();
        var end = new List<int>();
        var tokStart = new List<int>();
        var tokens = new List<int>(ids.Count);
        var path = new List<int>(); // node index per depth-1 on the current path
        byte[] prev = [];
        int maxDepth = 0;
        foreach (int id in ids)
        {
            var p = pieces[id];
            int common = p.AsSpan().CommonPrefixLength(prev);
            for (int d = path.Count - 1; d >= common; d--) end[path[d]] = bytes.Count;
            path.RemoveRange(common, path.Count - common);
            for (int d = common; d < p.Length; d++)
            {
                path.Add(bytes.Count);
                bytes.Add(p[d]);
                depth.Add(d + 1);
                end.Add(0);
                tokStart.Add(tokens.Count);
            }
            // The token ends at the last node of its path; tokens sorted by bytes arrive right after their node.
            tokens.Add(id);
            maxDepth = Math.Max(maxDepth, p.Length);
            prev = p;
        }
        foreach (int node in path) end[node] = bytes.Count;
        tokStart.Add(tokens.Count);
        for (int i = 0; i < vocabSize; i++) if (isEnd(i)) pieces[i] = [];
        return new TokenTrie(vocabSize, pieces, [.. bytes], [.. depth], [.. end], [.. tokStart], [.. tokens], [.. ends], maxDepth);
    }
}

/// <summary>See <see cref="TokenTrie.ClassSplit"/>. <see cref="PureByLength"/>[L]: the pure tokens of L bytes.</summary>
internal sealed record ClassSplitResult(ulong[] Pure, TokenTrie Rest, int[][] PureByLength)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, ulong[]> _upTo = new();

    /// <summary>ORs into <paramref name="mask"/> the pure tokens of at most <paramref name="maxLength"/> bytes
    /// (a mask per length, built on first use).</summary>
    public void OrPureUpTo(int maxLength, Span<ulong> mask)
    {
        if (maxLength <= 0) return;
        if (maxLength >= PureByLength.Length - 1)
        {
            Or(Pure, mask);
            return;
        }
        Or(_upTo.GetOrAdd(maxLength, l =>
        {
            var m = new ulong[Pure.Length];
            for (int len = 1; len <= l; len++)
                foreach (int t in PureByLength[len]) m[t >> 6] |= 1UL << (t & 63);
            return m;
        }), mask);
    }

    /// <summary>ORs into <paramref name="mask"/> the pure tokens of exactly <paramref name="length"/> bytes.</summary>
    public void OrPureOfLength(int length, Span<ulong> mask)
    {
        if (length >= PureByLength.Length) return;
        foreach (int t in PureByLength[length]) mask[t >> 6] |= 1UL << (t & 63);
    }

    private static void Or(ulong[] from, Span<ulong> into)
    {
        System.Numerics.Tensors.TensorPrimitives.BitwiseOr<ulong>(from.AsSpan(0, into.Length), into, into);
    }
}
