using System.Text;

namespace Hearth.Core.Tokenizers;

/// <summary>Turns generated token ids into text one token at a time. A token's bytes can end in the middle of
/// a UTF-8 character (byte-fallback and byte-level tokens split emoji and CJK characters); such bytes are held
/// back until the character is complete, so the text returned never contains half a character. Invalid
/// sequences become U+FFFD. Call <see cref="Flush"/> at the end of generation. Not thread-safe (one per stream).</summary>
public sealed class StreamingDetokenizer
{
    private readonly ITokenizer _tokenizer;
    private readonly GgufTokenizer? _fast;
    private readonly bool _renderSpecial;
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private char[] _chars = new char[64];

    /// <param name="renderSpecial">Whether control tokens render as their text (normally they render as nothing).</param>
    public StreamingDetokenizer(ITokenizer tokenizer, bool renderSpecial = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _fast = tokenizer as GgufTokenizer;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds one token; returns the text that is now complete (often empty for a partial character).</summary>
    public string Add(int tokenId)
    {
        var bytes = _fast != null ? _fast.TokenSpan(tokenId, _renderSpecial) : _tokenizer.TokenBytes(tokenId, _renderSpecial);
        return Decode(bytes, flush: false);
    }

    /// <summary>Ends the stream: returns what is still held back (an incomplete character becomes U+FFFD)
    /// and resets the detokenizer for reuse.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _decoder.GetCharCount(bytes, flush: false) + 4;
        if (_chars.Length < needed)
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int n = _decoder.GetChars(bytes, _chars, flush);
        return n == 0 ? "" : new string(_chars, 0, n);
    }
}
