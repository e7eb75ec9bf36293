using System.Text;
using Hearth.Core.Gguf;

namespace Hearth.Core.Tokenizers;

/// <summary>Reads a <see cref="Vocabulary"/> from GGUF metadata, applying llama.cpp's defaults per vocabulary
/// type and its fix-ups by token text (end-of-generation and fill-in-the-middle tokens become control tokens).</summary>
internal static class VocabularyLoader
{
    private const string P = "tokenizer.ggml.";

    // Tokens that end generation when the file does not say so itself (llama.cpp recognises them by text). The lists
    // are llama.cpp's (release v0.5.0, de3ff815, the reference build of tools/tokenizer-diff.mjs): a token found here
    // becomes a control token, so its text is no longer matched in the input unless parse_special is on. One exception:
    // "</s>" is left out. Newer llama.cpp builds (for PaddleOCR) end generation on it and so turn a user-defined "</s>"
    // (Phi-3's) into a control token; the vocabulary test vectors' build (c392e509) and Hugging Face's tokenizers match
    // its text as the token, as Hearth does.
    private static readonly string[] EotTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
         "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
    private static readonly string[] EogTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>",
         "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
         "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["];
    // gpt-oss's harmony markers, which llama.cpp always renders (user-defined, in any vocabulary that has them) so that its
    // answers keep their structure.
    private static readonly string[] HarmonyRendered = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];
    private static readonly string[][] FimTexts =
    [
        ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"],
        ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"],
        ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"],
        ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"],
        ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"],
        ["<|file_sep|>"],
    ];
    private static readonly string[] FimKeys = ["fim_pre_token_id", "fim_suf_token_id", "fim_mid_token_id", "fim_pad_token_id", "fim_rep_token_id", "fim_sep_token_id"];
    private static readonly string[] FimDeprecatedKeys = ["prefix_token_id", "suffix_token_id", "middle_token_id"];

    public static (Vocabulary Vocab, string[]? Merges) Load(GgufFile file)
    {
        string model = file.GetString(P + "model") ?? throw new InvalidDataException("tokenizer.ggml.model is missing");
        TokenizerKind kind = model switch
        {
            "llama" => TokenizerKind.SentencePiece,
            "gpt2" => TokenizerKind.BytePair,
            "bert" => TokenizerKind.WordPiece,
            _ => throw new InvalidDataException($"tokenizer model '{model}' is not supported (llama, gpt2 and bert are)"),
        };
        string pre = file.GetString(P + "pre") is { Length: > 0 } p ? p : "default";

        string[] tokens = file.GetArray<string>(P + "tokens") ?? throw new InvalidDataException("tokenizer.ggml.tokens is missing or not a string array");
        if (tokens.Length == 0)
            throw new InvalidDataException("tokenizer.ggml.tokens is empty");
        tokens = (string[])tokens.Clone();
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i].Length == 0)
                tokens[i] = $"[EMPTY_{i}]";

        var scores = new float[tokens.Length];
        if (file.GetArray<float>(P + "scores") is { } fs)
            CopyChecked(fs, scores, "scores");
        else if (file.GetArray<int>(P + "scores") is { } isc)
            CopyChecked(Array.ConvertAll(isc, x => (float)x), scores, "scores");

        var attrs = new TokenAttributes[tokens.Length];
        if (file.GetArray<int>(P + "token_type") is { } types)
        {
            if (types.Length < tokens.Length)
                throw new InvalidDataException($"tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens");
            for (int i = 0; i < tokens.Length; i++)
                attrs[i] = TokenTypeMap.FromGgufType(types[i]);
        }
        else
        {
            Array.Fill(attrs, TokenAttributes.Normal);
        }

        string[]? merges = null;
        if (kind == TokenizerKind.BytePair)
            merges = file.GetArray<string>(P + "merges") ?? throw new InvalidDataException("tokenizer.ggml.merges is missing");

        var vocab = new Vocabulary(kind, tokens, scores, attrs) { Pre = pre };
        ApplyDefaults(vocab, kind, pre);
        ReadSpecialIds(file, vocab, out int?[] fim);
        if (file.GetBool(P + "add_bos_token") is { } addBos) vocab.AddBos = addBos;
        if (file.GetBool(P + "add_eos_token") is { } addEos) vocab.AddEos = addEos;
        if (file.GetBool(P + "add_space_prefix") is { } addPrefix) vocab.AddSpacePrefix = addPrefix;
        if (vocab.AddBos && vocab.Bos is null)
            throw new InvalidDataException("tokenizer.ggml.add_bos_token is true, but there is no BOS token");
        if (vocab.AddEos && vocab.Eos is null)
            throw new InvalidDataException("tokenizer.ggml.add_eos_token is true, but there is no EOS token");

        DetectByText(vocab, fim);
        BuildSpecialTokenList(vocab, file.GetString("general.name"));
        return (vocab, merges);
    }

    private static void CopyChecked(float[] source, float[] target, string what)
    {
        if (source.Length < target.Length)
            throw new InvalidDataException($"tokenizer.ggml.{what} has {source.Length} entries for {target.Length} tokens");
        Array.Copy(source, target, target.Length);
    }

    private static void ApplyDefaults(Vocabulary v, TokenizerKind kind, string pre)
    {
        int? Valid(int id) => id < v.Count ? id : null;
        switch (kind)
        {
            case TokenizerKind.SentencePiece:
                (v.Bos, v.Eos, v.Unk) = (Valid(1), Valid(2), Valid(0));
                v.AddBos = true;
                v.AddSpacePrefix = true;
                break;
            case TokenizerKind.WordPiece:
                (v.Bos, v.Unk, v.Sep) = (Valid(101), Valid(100), Valid(102));
                v.AddBos = true;
                break;
            default:
                (v.Bos, v.Eos) = (Valid(11), Valid(11));
                // llama.cpp adds BOS by default only for the pre-tokenizers whose models expect it.
                v.AddBos = pre is "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "pixtral" or "tekken" or "chameleon";
                break;
        }
    }

    private static void ReadSpecialIds(GgufFile file, Vocabulary v, out int?[] fim)
    {
        int? Read(string key, int? current)
        {
            long? value = file.GetInteger(P + key);
            // Out-of-range ids (converters write 0xFFFFFFFF for "none") keep the default, as llama.cpp does.
            return value is { } x && x >= 0 && x < v.Count ? (int)x : current;
        }
        v.Bos = Read("bos_token_id", v.Bos);
        v.Eos = Read("eos_token_id", v.Eos);
        v.Unk = Read("unknown_token_id", v.Unk);
        v.Sep = Read("seperator_token_id", v.Sep);
        v.Eot = Read("eot_token_id", null);
        int? eom = Read("eom_token_id", null);
        fim = new int?[FimKeys.Length];
        for (int i = 0; i < FimKeys.Length; i++)
            fim[i] = Read(FimKeys[i], i < FimDeprecatedKeys.Length ? Read(FimDeprecatedKeys[i], null) : null);
        if (eom is { } e) v.EndOfGeneration.Add(e);
    }

    private static void DetectByText(Vocabulary v, int?[] fim)
    {
        var attrs = v.Attributes;
        void MakeControl(int id) => attrs[id] |= TokenAttributes.Control;

        for (int id = 0; id < v.Count; id++)
        {
            string text = v.Tokens[id];
            if (v.Eot is null && Array.IndexOf(EotTexts, text) >= 0)
            {
                v.Eot = id;
                MakeControl(id);
            }
            for (int f = 0; f < FimTexts.Length; f++)
            {
                if (fim[f] is null && Array.IndexOf(FimTexts[f], text) >= 0)
                {
                    fim[f] = id;
                    MakeControl(id);
                }
            }
        }

        // FIM pad/repo/separator end generation (index 3..5).
        for (int f = 3; f < fim.Length; f++)
            if (fim[f] is { } id) v.EndOfGeneration.Add(id);
        for (int id = 0; id < v.Count; id++)
        {
            if (Array.IndexOf(EogTexts, v.Tokens[id]) >= 0)
            {
                v.EndOfGeneration.Add(id);
                MakeControl(id);
            }
        }
        if (v.Eos is { } eos) v.EndOfGeneration.Add(eos);
        if (v.Eot is { } eot) v.EndOfGeneration.Add(eot);
        ApplyEogFixups(v);
    }

    /// <summary>llama.cpp's fix-ups of the end-of-generation set by text. gpt-oss (o200k_harmony): the header markers
    /// render as text, and where both &lt;|return|&gt; and &lt;|call|&gt; end generation (solar-open: &lt;|calls|&gt; and
    /// &lt;|flush|&gt;), &lt;|end|&gt; (which only closes a message, e.g. the thinking) does not: it renders too.</summary>
    private static void ApplyEogFixups(Vocabulary v)
    {
        int? Find(string text, bool eog)
        {
            foreach (int id in eog ? v.EndOfGeneration : Enumerable.Range(0, v.Count))
                if (v.Tokens[id] == text) return id;
            return null;
        }
        foreach (string text in HarmonyRendered)
            if (Find(text, eog: false) is { } id) v.Attributes[id] = TokenAttributes.UserDefined;
        bool returns = Find("<|return|>", eog: true) is not null;
        bool calls = Find("<|call|>", eog: true) is not null || Find("<|calls|>", eog: true) is not null;
        bool flushes = Find("<|flush|>", eog: true) is not null;
        if (((returns && calls) || (calls && flushes)) && Find("<|end|>", eog: true) is { } end)
        {
            v.EndOfGeneration.Remove(end);
            v.Attributes[end] = TokenAttributes.UserDefined;
        }
    }

    private static void BuildSpecialTokenList(Vocabulary v, string? modelName)
    {
        const TokenAttributes special = TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown;
        var ids = Enumerable.Range(0, v.Count).Where(id => v.Has(id, special)).ToArray();
        // Longest first, so that a token containing another wins; ties keep id order (stable sort).
        v.SpecialTokens = ids.OrderByDescending(id => Encoding.UTF8.GetByteCount(v.Tokens[id])).ToArray();

        // Phi-3's special tokens swallow the whitespace after them (llama.cpp sets this by model name).
        string name = (modelName ?? "").ToLowerInvariant();
        if (name.Contains("phi-3", StringComparison.Ordinal) || name.Contains("phi3", StringComparison.Ordinal))
        {
            foreach (int id in v.SpecialTokens)
                v.Attributes[id] |= TokenAttributes.RStrip;
            if (v.Find("</s>") is { } s) v.Attributes[s] |= TokenAttributes.RStrip;
            foreach (string t in (string[])["<unk>", "<s>", "<|endoftext|>"])
                if (v.Find(t) is { } id) v.Attributes[id] &= ~TokenAttributes.RStrip;
        }
    }
}
