using System.Text;

namespace Hearth.Core.Tokenizers;

/// <summary>A tokenizer built from GGUF metadata, matching llama.cpp's <c>llama_tokenize</c> and
/// <c>llama_token_to_piece</c>: special tokens written in the text are split out first, then the text
/// fragments go through SentencePiece-BPE, byte-level BPE or WordPiece. Create with
/// <see cref="TokenizerFactory.FromGguf(Hearth.Core.Gguf.GgufFile)"/>. Thread-safe.</summary>
public sealed class GgufTokenizer : ITokenizer
{
    private readonly Vocabulary _vocab;
    private readonly SpecialTokenSplitter _splitter;
    private readonly TokenPieces _pieces;
    private readonly SpmEncoder? _spm;
    private readonly BpeEncoder? _bpe;
    private readonly WpmEncoder? _wpm;

    internal GgufTokenizer(Vocabulary vocab, string[]? merges)
    {
        _vocab = vocab;
        _splitter = new SpecialTokenSplitter(vocab);
        _pieces = new TokenPieces(vocab);
        switch (vocab.Kind)
        {
            case TokenizerKind.SentencePiece: _spm = new SpmEncoder(vocab); break;
            case TokenizerKind.BytePair: _bpe = new BpeEncoder(vocab, merges ?? []); break;
            default: _wpm = new WpmEncoder(vocab); break;
        }
    }

    public TokenizerKind Kind => _vocab.Kind;
    /// <summary>The pre-tokenizer name (<c>tokenizer.ggml.pre</c>; "default" when absent).</summary>
    public string PreTokenizer => _vocab.Pre;
    public int VocabSize => _vocab.Count;
    public int? BosId => _vocab.Bos;
    public int? EosId => _vocab.Eos;
    /// <summary>WordPiece's separator ([SEP]), appended by Encode with addSpecial.</summary>
    public int? SepId => _vocab.Sep;
    public bool AddBos => _vocab.AddBos;
    public bool AddEos => _vocab.AddEos;

    /// <summary>The attributes of a token (normal, control, user-defined, byte …).</summary>
    public TokenAttributes GetAttributes(int tokenId) => _vocab.Attributes[CheckId(tokenId)];

    public int[] Encode(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 4);
        var fragments = _splitter.Split(text, parseSpecial);
        bool wordPiece = _vocab.Kind == TokenizerKind.WordPiece;

        if (addSpecial && (AddBos || wordPiece) && _vocab.Bos is { } bos)
            output.Add(bos);

        bool previousWasSpecial = true; // SentencePiece puts its dummy prefix at the start and after special tokens
        foreach (var fragment in fragments)
        {
            if (!fragment.IsText)
            {
                output.Add(fragment.TokenId);
                previousWasSpecial = true;
                continue;
            }
            var piece = text.AsSpan(fragment.Start, fragment.Length);
            if (_spm != null)
            {
                _spm.Encode(EscapeSpaces(piece, _vocab.AddSpacePrefix && previousWasSpecial), output);
                previousWasSpecial = false;
            }
            else if (_bpe != null)
            {
                _bpe.Encode(piece, output);
            }
            else
            {
                _wpm!.Encode(piece, output);
            }
        }

        if (addSpecial)
        {
            if (wordPiece && _vocab.Sep is { } sep)
                output.Add(sep);
            else if (!wordPiece && AddEos && _vocab.Eos is { } eos)
                output.Add(eos);
        }
        return output.ToArray();
    }

    private static string EscapeSpaces(ReadOnlySpan<char> text, bool prefix) =>
        string.Concat(prefix ? " " : "", text).Replace(' ', '\u2581');

    public byte[] TokenBytes(int tokenId, bool renderSpecial = false) => _pieces.Get(CheckId(tokenId), renderSpecial).ToArray();

    /// <summary>The piece bytes of a token without copying (valid for the tokenizer's lifetime).</summary>
    public ReadOnlySpan<byte> TokenSpan(int tokenId, bool renderSpecial = false) => _pieces.Get(CheckId(tokenId), renderSpecial);

    public string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false)
    {
        var bytes = new List<byte>(tokenIds.Length * 4);
        foreach (int id in tokenIds)
            bytes.AddRange(_pieces.Get(CheckId(id), renderSpecial));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public bool IsEndOfGeneration(int tokenId) => _vocab.EndOfGeneration.Contains(tokenId);

    public string TokenText(int tokenId) => _vocab.Tokens[CheckId(tokenId)];

    private int CheckId(int tokenId) => (uint)tokenId < (uint)_vocab.Count
        ? tokenId
        : throw new ArgumentOutOfRangeException(nameof(tokenId), tokenId, $"token id must be in [0, {_vocab.Count})");
}
