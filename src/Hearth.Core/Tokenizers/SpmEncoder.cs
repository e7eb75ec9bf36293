using System.Collections.Concurrent;
using System.Text;

namespace Hearth.Core.Tokenizers;

/// <summary>SentencePiece-style BPE as llama.cpp runs it: the text (spaces already escaped to "▁") starts as
/// one symbol per character; the adjacent pair whose concatenation is the highest-scoring token is merged
/// (leftmost on ties) until no pair forms a token; symbols that are not tokens fall back to byte tokens
/// &lt;0xNN&gt;. Thread-safe.
/// Speed: llama.cpp merges over the whole text at once. Here the text is first cut before each "▁" whose left
/// neighbour never precedes "▁" inside any token: no merge can cross such a cut, and merges on either side do
/// not affect each other's order, so encoding the pieces separately gives exactly the same ids, and the pieces
/// (mostly words) can be cached.</summary>
internal sealed class SpmEncoder
{
    private const char Space = '\u2581';
    private const int CacheLimit = 200_000;
    private const int MaxCachedLength = 64;

    private readonly Vocabulary _vocab;
    private readonly int[] _byteToken = new int[256];
    private readonly HashSet<char> _joinsSpace = [];
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    public SpmEncoder(Vocabulary vocab)
    {
        _vocab = vocab;
        for (int b = 0; b < 256; b++)
        {
            int id = vocab.IdOf($"<0x{b:X2}>");
            if (id < 0 && b < 0x80)
                id = vocab.IdOf([(char)b]); // vocabularies without byte tokens may still have the character
            _byteToken[b] = id >= 0 ? id : vocab.Unk ?? -1;
        }
        // Characters that some token has right before a "▁": the text is never cut between those and "▁".
        foreach (string token in vocab.Tokens)
            for (int i = token.IndexOf(Space, 1); i > 0; i = i + 1 < token.Length ? token.IndexOf(Space, i + 1) : -1)
                _joinsSpace.Add(token[i - 1]);
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The byte token for a byte (used for the newline id and by tests).</summary>
    public int ByteToken(byte b) => _byteToken[b];

    public void Encode(string text, List<int> output)
    {
        int pieceStart = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i < text.Length && !(text[i] == Space && text[i - 1] != Space && !_joinsSpace.Contains(text[i - 1])))
                continue;
            EncodePiece(text, pieceStart, i - pieceStart, output);
            pieceStart = i;
        }
    }

    private void EncodePiece(string text, int offset, int length, List<int> output)
    {
        if (length > MaxCachedLength)
        {
            Merge(text, offset, length, output);
            return;
        }
        var piece = text.AsSpan(offset, length);
        if (_cacheLookup.TryGetValue(piece, out int[]? ids))
        {
            output.AddRange(ids);
            return;
        }
        int before = output.Count;
        Merge(text, offset, length, output);
        if (_cache.Count < CacheLimit)
            _cacheLookup.TryAdd(piece, output.GetRange(before, output.Count - before).ToArray());
    }

    private void Merge(string text, int offset, int length, List<int> output)
    {
        int n = 0;
        var start = new int[length];
        var len = new int[length];
        for (int i = offset; i < offset + length; n++)
        {
            int l = char.IsHighSurrogate(text[i]) && i + 1 < offset + length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            start[n] = i;
            len[n] = l;
            i += l;
        }
        if (n == 0)
            return;
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        // Highest score first, then leftmost: the priority orders by (-score, left).
        var queue = new PriorityQueue<(int Left, int Right, int Size), (float NegScore, int Left)>();
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0)
                return;
            int size = len[left] + len[right];
            int id = _vocab.IdOf(text.AsSpan(start[left], size));
            if (id >= 0)
                queue.Enqueue((left, right, size), (-_vocab.Scores[id], left));
        }
        for (int i = 1; i < n; i++)
            TryAdd(i - 1, i);

        while (queue.TryDequeue(out var b, out _))
        {
            if (len[b.Left] == 0 || len[b.Right] == 0 || len[b.Left] + len[b.Right] != b.Size)
                continue;
            len[b.Left] += len[b.Right];
            len[b.Right] = 0;
            next[b.Left] = next[b.Right];
            if (next[b.Right] >= 0) prev[next[b.Right]] = b.Left;
            TryAdd(prev[b.Left], b.Left);
            TryAdd(b.Left, next[b.Left]);
        }

        Span<byte> utf8 = stackalloc byte[8];
        for (int i = 0; i >= 0; i = next[i])
        {
            var symbol = text.AsSpan(start[i], len[i]);
            int id = _vocab.IdOf(symbol);
            if (id >= 0)
            {
                output.Add(id);
                continue;
            }
            // Not a token: only single characters get here (every merge result is a token). Emit its bytes.
            int count = Encoding.UTF8.GetBytes(symbol, utf8);
            for (int k = 0; k < count; k++)
                if (_byteToken[utf8[k]] >= 0)
                    output.Add(_byteToken[utf8[k]]);
        }
    }
}
