using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Hearth.Core.Tokenizers;

/// <summary>Byte-level BPE (GPT-2 style): text is split by the pre-tokenizer's regexes, each piece's UTF-8
/// bytes are mapped to GPT-2's byte characters, and adjacent symbols are merged lowest merge rank first
/// (leftmost on ties), as llama.cpp does. Results are cached per piece. Thread-safe.</summary>
internal sealed class BpeEncoder
{
    private const int CacheLimit = 200_000;

    private readonly Vocabulary _vocab;
    private readonly PreTokenizer _pre;
    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly int[] _byteToken = new int[256];
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    public BpeEncoder(Vocabulary vocab, string[] merges)
    {
        _vocab = vocab;
        _pre = PreTokenizer.For(vocab.Pre)
            ?? throw new InvalidDataException($"pre-tokenizer '{vocab.Pre}' (tokenizer.ggml.pre) is not supported");
        // Llama 3 style vocabularies take a whole piece as one token when it is one, before any merging.
        _ignoreMerges = vocab.Pre is "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "pixtral" or "tekken";
        for (int b = 0; b < 256; b++)
            _byteToken[b] = vocab.IdOf([ByteLevel.ByteToChar[b]]);

        _merges = new Dictionary<long, (int, int)>(merges.Length);
        Span<char> buffer = stackalloc char[256];
        for (int rank = 0; rank < merges.Length; rank++)
        {
            string m = merges[rank];
            int space = m.Length > 1 ? m.IndexOf(' ', 1) : -1;
            if (space < 0)
                continue;
            int left = vocab.IdOf(m.AsSpan(0, space));
            int right = vocab.IdOf(m.AsSpan(space + 1));
            if (left < 0 || right < 0)
                continue;
            Span<char> joined = m.Length <= buffer.Length ? buffer[..(m.Length - 1)] : new char[m.Length - 1];
            m.AsSpan(0, space).CopyTo(joined);
            m.AsSpan(space + 1).CopyTo(joined[space..]);
            int merged = vocab.IdOf(joined);
            if (left < 0 || right < 0 || merged < 0)
                continue; // a merge that cannot produce a token never changes the result
            _merges.TryAdd(Key(left, right), (rank, merged));
        }
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    // left * VocabSize + right is unique and, unlike (left << 32 | right), hashes well: long.GetHashCode folds
    // the two halves together, which would make every pair with equal left ^ right collide.
    private long Key(int left, int right) => (long)left * _vocab.Count + right;

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        var pieces = new List<(int Start, int Length)>();
        _pre.Split(text, pieces);
        foreach (var (start, length) in pieces)
        {
            var piece = text.Slice(start, length);
            if (_cacheLookup.TryGetValue(piece, out int[]? ids))
            {
                output.AddRange(ids);
                continue;
            }
            ids = EncodePiece(piece);
            if (_cache.Count < CacheLimit)
                _cacheLookup.TryAdd(piece, ids);
            output.AddRange(ids);
        }
    }

    private int[] EncodePiece(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            int n = Encoding.UTF8.GetBytes(piece, rented);
            var bytes = rented.AsSpan(0, n);
            if (_ignoreMerges && WholePieceToken(bytes) is int whole)
                return [whole];
            return Merge(bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private int? WholePieceToken(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            chars[i] = ByteLevel.ByteToChar[bytes[i]];
        return _vocab.Find(chars);
    }

    private int[] Merge(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        if (n == 0)
            return [];
        var ids = new int[n];
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = _byteToken[bytes[i]];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        // Lowest rank first; on equal rank the leftmost pair (priority = rank << 32 | left).
        var queue = new PriorityQueue<(int Left, int Right, int LeftId, int RightId, int Merged), long>();
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0 || ids[left] < 0 || ids[right] < 0)
                return;
            if (_merges.TryGetValue(Key(ids[left], ids[right]), out var m))
                queue.Enqueue((left, right, ids[left], ids[right], m.Merged), ((long)m.Rank << 32) | (uint)left);
        }
        for (int i = 0; i + 1 < n; i++)
            TryAdd(i, i + 1);

        int alive = n;
        while (queue.TryDequeue(out var b, out _))
        {
            // Stale entries: either side was merged away or changed since the pair was queued.
            if (ids[b.Left] != b.LeftId || ids[b.Right] != b.RightId || next[b.Left] != b.Right)
                continue;
            ids[b.Left] = b.Merged;
            ids[b.Right] = int.MinValue; // removed
            int after = next[b.Right];
            next[b.Left] = after;
            if (after >= 0) prev[after] = b.Left;
            alive--;
            TryAdd(prev[b.Left], b.Left);
            TryAdd(b.Left, after);
        }

        var result = new List<int>(alive);
        for (int i = 0; i >= 0; i = next[i])
            if (ids[i] >= 0) // a byte with no token of its own is dropped, as in llama.cpp
                result.Add(ids[i]);
        return result.ToArray();
    }
}
