namespace Hearth.Core.Tokenizers;

/// <summary>The kind of tokenizer a vocabulary uses (<c>tokenizer.ggml.model</c>).</summary>
public enum TokenizerKind
{
    /// <summary>SentencePiece-style BPE over scores (<c>llama</c>).</summary>
    SentencePiece,
    /// <summary>Byte-level BPE over merge ranks (<c>gpt2</c>).</summary>
    BytePair,
    /// <summary>WordPiece (<c>bert</c>).</summary>
    WordPiece,
}

/// <summary>Per-token attributes, as llama.cpp derives them from <c>tokenizer.ggml.token_type</c>
/// (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte) plus a few fix-ups by token text.</summary>
[Flags]
public enum TokenAttributes
{
    Undefined = 0,
    Unknown = 1 << 0,
    Unused = 1 << 1,
    Normal = 1 << 2,
    Control = 1 << 3,
    UserDefined = 1 << 4,
    Byte = 1 << 5,
    /// <summary>Whitespace to the left of this special token is dropped when it is matched in text.</summary>
    LStrip = 1 << 7,
    /// <summary>Whitespace to the right of this special token is dropped when it is matched in text.</summary>
    RStrip = 1 << 8,
}

internal static class TokenTypeMap
{
    /// <summary>Maps a GGUF token_type value to attributes; unknown values are Undefined (as llama.cpp does).</summary>
    public static TokenAttributes FromGgufType(int type) => type switch
    {
        1 => TokenAttributes.Normal,
        2 => TokenAttributes.Unknown,
        3 => TokenAttributes.Control,
        4 => TokenAttributes.UserDefined,
        5 => TokenAttributes.Unused,
        6 => TokenAttributes.Byte,
        _ => TokenAttributes.Undefined,
    };
}
