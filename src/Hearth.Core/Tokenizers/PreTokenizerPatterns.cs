namespace Hearth.Core.Tokenizers;

/// <summary>The regex splits for each byte-level BPE pre-tokenizer (<c>tokenizer.ggml.pre</c>), as the models'
/// tokenizer.json files define them and llama.cpp applies them: a list of patterns applied one after another,
/// each splitting the pieces of the previous one.</summary>
internal static class PreTokenizerPatterns
{
    // GPT-2's split, also the core of most others.
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

    // Llama 3's split; the case-insensitive contractions are spelled out (llama.cpp does the same, and
    // case-insensitive matching would fold more than ASCII in .NET).
    public const string Llama3 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // Qwen2: as Llama 3 but one digit per piece.
    public const string Qwen2 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // GPT-4o's (o200k: gpt-oss, Llama 4) split as llama.cpp runs it: its adaptation of the tokenizer.json pattern,
    // where an "upper" letter is any letter but a-z and a "lower" one any letter but A-Z (so letters outside ASCII are
    // both, and combining marks are not letters), contractions spelled out, and "/" may follow a punctuation run.
    private const string Upper = @"(?:(?=\p{L})[^a-z])", Lower = @"(?:(?=\p{L})[^A-Z])";
    private const string Contraction = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?";
    public const string Gpt4o =
        @"[^\r\n\p{L}\p{N}]?" + Upper + "*" + Lower + "+" + Contraction + "|" +
        @"[^\r\n\p{L}\p{N}]?" + Upper + "+" + Lower + "*" + Contraction + "|" +
        @"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // DeepSeek LLM's cased-letter class. Supplementary-plane ranges are written as U+E000, the stand-in
    // that PreTokenizer puts for any supplementary code point inside them (UTF-16 classes cannot hold them).
    private const string DeepSeekLetters =
        @"\u0041-\u005A\u0061-\u007A\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF" +
        @"\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481" +
        @"\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B" +
        @"\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D" +
        @"\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC" +
        @"\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D" +
        @"\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2" +
        @"\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17" +
        @"\uFF21-\uFF3A\uFF41-\uFF5A\uE000";

    /// <summary>Supplementary ranges that <see cref="DeepSeekLetters"/> stands for with U+E000.</summary>
    public static readonly (int First, int Last)[] DeepSeekSupplementaryLetters =
        [(0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943)];

    private const string Cjk = @"[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
    private const string Poro = @" ?[^(\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";

    // Note: where a tokenizer.json pattern ends in "$" (end of input in ECMAScript/PCRE) it is written "\z" here:
    // .NET's "$" also matches before a final "\n".

    /// <summary>The pattern list for a pre-tokenizer name, or null when it is not supported.</summary>
    public static string[]? For(string pre) => pre switch
    {
        "default" => [@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"],
        "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "pixtral" or "dbrx" or "smaug-bpe" or "glm4" or "chatglm-bpe" => [Llama3],
        "deepseek-llm" => [@"[\r\n]", @"\s?[" + DeepSeekLetters + "]+", @"\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", @"\s+\z", Cjk, @"\p{N}+"],
        "deepseek-coder" => [@"[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", Cjk, @"\p{N}"],
        "falcon" => [@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"],
        "starcoder" or "refact" or "command-r" or "smollm" or "codeshell" or "exaone" or "minerva-7b" => [@"\p{N}", Gpt2],
        "gpt-2" or "mpt" or "olmo" or "jais" or "phi-2" or "jina-es" or "jina-de" or "jina-v1-en" or "jina-v2-es" or "jina-v2-de"
            or "jina-v2-code" or "roberta-bpe" or "gigachat" or "exaone4" => [Gpt2],
        "gpt-4o" or "llama4" => [Gpt4o],
        "qwen2" or "deepseek-r1-qwen" or "stablelm2" or "megrez" or "hunyuan" => [Qwen2],
        "poro-chat" or "bloom" => [Poro],
        "gpt3-finnish" or "viking" => [Poro, @"\p{N}"],
        _ => null,
    };
}
