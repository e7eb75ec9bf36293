using System.Text;

namespace Hearth.Core.Tokenizers;

/// <summary>The token table and special-token settings of one vocabulary, immutable after loading
/// (see <see cref="VocabularyLoader"/>). Shared by the encoders and the decoder.</summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> _tokenToId;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public Vocabulary(TokenizerKind kind, string[] tokens, float[] scores, TokenAttributes[] attributes)
    {
        Kind = kind;
        Tokens = tokens;
        Scores = scores;
        Attributes = attributes;
        _tokenToId = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!_tokenToId.TryAdd(tokens[i], i))
                throw new InvalidDataException($"duplicate token in vocabulary: '{tokens[i]}' has ids {_tokenToId[tokens[i]]} and {i}");
            MaxTokenBytes = Math.Max(MaxTokenBytes, Encoding.UTF8.GetByteCount(tokens[i]));
        }
        _lookup = _tokenToId.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public TokenizerKind Kind { get; }
    public string[] Tokens { get; }
    public float[] Scores { get; }
    public TokenAttributes[] Attributes { get; }
    public int Count => Tokens.Length;
    public int MaxTokenBytes { get; }

    /// <summary>The pre-tokenizer name (<c>tokenizer.ggml.pre</c>), "default" when absent.</summary>
    public string Pre { get; init; } = "default";
    public int? Bos { get; set; }
    public int? Eos { get; set; }
    public int? Unk { get; set; }
    public int? Sep { get; set; }
    public int? Eot { get; set; }
    public bool AddBos { get; set; }
    public bool AddEos { get; set; }
    /// <summary>SentencePiece's add_dummy_prefix: a space is put before text that starts a fragment after a special token or at the start.</summary>
    public bool AddSpacePrefix { get; set; }
    /// <summary>End-of-generation ids (EOS, EOT, EOM, FIM pad/rep/sep and tokens recognised by text).</summary>
    public HashSet<int> EndOfGeneration { get; } = [];
    /// <summary>Control, user-defined and unknown tokens, longest text (in UTF-8 bytes) first: the order in which
    /// they are searched for in raw text.</summary>
    public int[] SpecialTokens { get; set; } = [];

    public int? Find(ReadOnlySpan<char> text) => _lookup.TryGetValue(text, out int id) ? id : null;

    /// <summary>Token id for text, or -1.</summary>
    public int IdOf(ReadOnlySpan<char> text) => _lookup.TryGetValue(text, out int id) ? id : -1;

    public bool Has(int id, TokenAttributes attr) => (Attributes[id] & attr) != 0;
}
