namespace Hearth.Core.Tokenizers;

/// <summary>A tokenizer built from GGUF metadata. Implementations: SentencePiece-style BPE (model "llama"),
/// byte-level BPE (model "gpt2"), WordPiece (model "bert"). Thread-safe for concurrent Encode/Decode.</summary>
public interface ITokenizer
{
    int VocabSize { get; }
    int? BosId { get; }
    int? EosId { get; }
    /// <summary>Whether Encode with addSpecial=true prepends BOS (tokenizer.ggml.add_bos_token or the vocab type's default).</summary>
    bool AddBos { get; }
    /// <summary>Whether Encode with addSpecial=true appends EOS.</summary>
    bool AddEos { get; }

    /// <summary>Tokenizes text. addSpecial: add BOS/EOS as the vocabulary says. parseSpecial: match control
    /// tokens written in the text (e.g. "&lt;|eot_id|&gt;") as single tokens; user-defined tokens always match.</summary>
    int[] Encode(string text, bool addSpecial, bool parseSpecial);

    /// <summary>The bytes a token contributes to text (SentencePiece "▁" becomes a space; byte tokens become
    /// their byte; control tokens give nothing unless renderSpecial).</summary>
    byte[] TokenBytes(int tokenId, bool renderSpecial = false);

    /// <summary>Decodes a whole sequence to a string (invalid UTF-8 becomes U+FFFD).</summary>
    string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false);

    /// <summary>True for end-of-generation tokens (EOS, EOT, &lt;|eot_id|&gt;, &lt;|im_end|&gt; …).</summary>
    bool IsEndOfGeneration(int tokenId);

    /// <summary>The token's text as stored in the vocabulary (for logprobs display and debugging).</summary>
    string TokenText(int tokenId);
}
