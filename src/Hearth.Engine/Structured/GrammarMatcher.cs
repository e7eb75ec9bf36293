namespace Hearth.Engine.Structured;

/// <summary>The grammar state of one sequence over one vocabulary: which tokens may come next (a bit mask over the
/// vocabulary, end tokens allowed only where the grammar may end) and the tokens taken so far. Masks come from a
/// cache shared by every sequence of the same grammar and vocabulary, keyed by the parser state.</summary>
public sealed class GrammarMatcher
{
    private readonly PushdownMatcher _pda;
    private readonly TokenTrie _trie;
    private readonly MaskCache _cache;
    private readonly List<int> _signature = [];

    public GrammarMatcher(Grammar grammar, TokenTrie trie)
    {
        _pda = new PushdownMatcher(grammar);
        _trie = trie;
        _cache = MaskCache.For(grammar, trie);
    }

    public Grammar Grammar => _pda.Grammar;

    /// <summary>An end token has been taken: the output is complete.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>The output so far is a complete sentence of the grammar.</summary>
    public bool IsAccepting => _pda.IsAccepting;

    /// <summary>Nothing but an end can follow.</summary>
    public bool IsTerminated => IsFinished || _pda.IsTerminated;

    /// <summary>Words (64 tokens each) of a mask over this vocabulary.</summary>
    public int MaskWords => (_trie.VocabSize + 63) / 64;

    /// <summary>Takes a token; false (and no change) when the grammar does not allow it.</summary>
    public bool TryAccept(int token)
    {
        if (IsFinished) return false;
        if (_trie.IsEnd(token))
        {
            if (!_pda.IsAccepting) return false;
            IsFinished = true;
            return true;
        }
        var bytes = _trie.TokenBytes(token);
        return bytes.Length > 0 && _pda.TryAdvance(bytes);
    }

    /// <summary>Fills <paramref name="mask"/> (<see cref="MaskWords"/> words) with the tokens allowed next.</summary>
    public void FillMask(Span<ulong> mask)
    {
        mask = mask[..MaskWords];
        if (IsFinished)
        {
            mask.Clear();
            return;
        }
        _pda.Signature(_signature);
        var key = MaskCache.Hash(_signature);
        if (!_cache.TryGet(key, mask))
        {
            _pda.FillMask(_trie, mask);
            _cache.Add(key, mask);
        }
        if (_pda.IsAccepting)
            foreach (int t in _trie.EndTokens) mask[t >> 6] |= 1UL << (t & 63);
    }

    /// <summary>Computes the mask without the cache (benchmarks and tests of the walk itself).</summary>
    internal void FillMaskUncached(Span<ulong> mask) => _pda.FillMask(_trie, mask[..MaskWords]);
}
