using System.Text;

namespace Hearth.Core.Tokenizers;

/// <summary>The bytes each token contributes to text, computed once per vocabulary (llama.cpp's
/// token_to_piece): SentencePiece "▁" becomes a space, GPT-2 byte characters become their bytes,
/// &lt;0xNN&gt; byte tokens become that byte, control/user-defined/unknown tokens are their text as is.</summary>
internal sealed class TokenPieces
{
    private readonly byte[][] _pieces;
    private readonly bool[] _hiddenUnlessSpecial;

    public TokenPieces(Vocabulary vocab)
    {
        _pieces = new byte[vocab.Count][];
        _hiddenUnlessSpecial = new bool[vocab.Count];
        for (int id = 0; id < vocab.Count; id++)
        {
            var attr = vocab.Attributes[id];
            _hiddenUnlessSpecial[id] = (attr & (TokenAttributes.Control | TokenAttributes.Unknown)) != 0;
            _pieces[id] = Piece(vocab, vocab.Tokens[id], attr);
        }
    }

    /// <summary>The piece of a token; control and unknown tokens give nothing unless renderSpecial.</summary>
    public ReadOnlySpan<byte> Get(int id, bool renderSpecial) =>
        !renderSpecial && _hiddenUnlessSpecial[id] ? default : _pieces[id];

    private static byte[] Piece(Vocabulary vocab, string text, TokenAttributes attr)
    {
        if ((attr & (TokenAttributes.Control | TokenAttributes.Unknown | TokenAttributes.UserDefined)) != 0)
            return Encoding.UTF8.GetBytes(text);
        if ((attr & TokenAttributes.Normal) != 0)
        {
            return vocab.Kind == TokenizerKind.BytePair
                ? DecodeByteLevel(text)
                : Encoding.UTF8.GetBytes(text.Replace('\u2581', ' '));
        }
        if ((attr & TokenAttributes.Byte) != 0 && text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal)
            && byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            return [b];
        return []; // unused and undefined tokens render as nothing, as in llama.cpp
    }

    private static byte[] DecodeByteLevel(string text)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune r in text.EnumerateRunes())
        {
            if (r.Value <= char.MaxValue && ByteLevel.TryCharToByte((char)r.Value, out byte b))
                bytes.Add(b);
            else // not a GPT-2 byte character: keep its UTF-8 (llama.cpp writes a marker; keeping the text is more useful)
                bytes.AddRange(utf8[..r.EncodeToUtf8(utf8)]);
        }
        return bytes.ToArray();
    }
}
