using Hearth.Core.Tokenizers;

namespace Hearth.Bench.Workloads;

/// <summary>Makes random prompts of a requested length. With a tokenizer the length is exact in that
/// tokenizer's tokens (random words, encoded, cut or extended until the count matches, then re-measured);
/// without one, the prompt is that many random words, each about one token.</summary>
public sealed class PromptFactory(ITokenizer? tokenizer)
{
    /// <summary>Rounds of cut/extend before accepting a length that is off by a token at a word boundary.</summary>
    private const int MaxRounds = 8;

    public bool Exact => tokenizer is not null;

    /// <summary>Returns the text and its measured token count (exact with a tokenizer, else the word count).</summary>
    public (string Text, int Tokens) Make(int tokens, Random rng)
    {
        if (tokens <= 0) return ("", 0);
        var text = RandomWords(tokens, rng);
        if (tokenizer is null) return (text, tokens);

        var ids = tokenizer.Encode(text, addSpecial: false, parseSpecial: false);
        for (int round = 0; round < MaxRounds && ids.Length != tokens; round++)
        {
            // Too long: keep the first `tokens` ids and decode them; too short: add words. Re-encoding a decoded
            // prefix can merge differently at the cut, hence the loop.
            text = ids.Length > tokens
                ? tokenizer.Decode(ids.AsSpan(0, tokens))
                : text + " " + RandomWords(tokens - ids.Length, rng);
            ids = tokenizer.Encode(text, addSpecial: false, parseSpecial: false);
        }
        return (text, ids.Length);
    }

    /// <summary>Token count of an arbitrary text: exact with a tokenizer, else whitespace-separated words.</summary>
    public int Count(string text) => tokenizer is not null
        ? tokenizer.Encode(text, addSpecial: false, parseSpecial: false).Length
        : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static string RandomWords(int count, Random rng)
    {
        var words = new string[count];
        for (int i = 0; i < count; i++) words[i] = WordList.Words[rng.Next(WordList.Words.Length)];
        return string.Join(' ', words);
    }
}
