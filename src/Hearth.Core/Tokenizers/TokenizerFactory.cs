using Hearth.Core.Gguf;

namespace Hearth.Core.Tokenizers;

/// <summary>Builds tokenizers from GGUF metadata alone (<c>tokenizer.ggml.*</c> keys).</summary>
public static class TokenizerFactory
{
    /// <summary>The tokenizer of a GGUF file (model "llama" → SentencePiece-BPE, "gpt2" → byte-level BPE with
    /// the pre-tokenizer named by <c>tokenizer.ggml.pre</c>, "bert" → WordPiece). Throws
    /// <see cref="GgufException"/> naming the file when the metadata is missing, inconsistent or unsupported.</summary>
    public static ITokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            var (vocab, merges) = VocabularyLoader.Load(file);
            return new GgufTokenizer(vocab, merges);
        }
        catch (InvalidDataException e)
        {
            throw new GgufException($"{file.Path}: {e.Message}", e);
        }
    }

    /// <summary>Opens a GGUF file and builds its tokenizer.</summary>
    public static ITokenizer FromGguf(string path)
    {
        using var file = GgufFile.Open(path);
        return FromGguf(file);
    }
}
