using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hearth.Engine.Structured;

/// <summary>Token masks of one grammar over one vocabulary, keyed by a 128-bit hash of the matcher state (every
/// stack). Generation revisits the same states constantly (inside a string, after each property…), so most masks
/// are a copy. Thread-safe; bounded (cleared when full). One per (grammar, trie) pair.</summary>
internal sealed class MaskCache
{
    /// <summary>Bytes of masks kept per grammar and vocabulary before the cache starts over.</summary>
    public const long MaxBytes = 64L << 20;

    private static readonly ConditionalWeakTable<Grammar, ConditionalWeakTable<TokenTrie, MaskCache>> All = new();
    private readonly Dictionary<UInt128, ulong[]> _masks = [];
    private readonly int _words;
    private long _bytes;

    private MaskCache(int words) => _words = words;

    public long Hits { get; private set; }
    public long Misses { get; private set; }

    public static MaskCache For(Grammar grammar, TokenTrie trie) =>
        All.GetValue(grammar, _ => new()).GetValue(trie, t => new MaskCache((t.VocabSize + 63) / 64));

    public static UInt128 Hash(List<int> signature) =>
        XxHash128.HashToUInt128(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(signature)));

    public bool TryGet(UInt128 key, Span<ulong> mask)
    {
        lock (_masks)
        {
            if (!_masks.TryGetValue(key, out var m))
            {
                Misses++;
                return false;
            }
            Hits++;
            m.CopyTo(mask);
            return true;
        }
    }

    public void Add(UInt128 key, ReadOnlySpan<ulong> mask)
    {
        lock (_masks)
        {
            if (_bytes + _words * 8L > MaxBytes)
            {
                _masks.Clear();
                _bytes = 0;
            }
            if (_masks.TryAdd(key, mask[.._words].ToArray())) _bytes += _words * 8L;
        }
    }
}
