using System.Globalization;
using System.Text;

namespace Hearth.Core.Tokenizers;

/// <summary>WordPiece (BERT) as llama.cpp runs it on GGUF vocabularies, where word-initial pieces carry a
/// "▁" prefix and continuation pieces carry none: text is normalised (accents stripped via NFD, lower-cased),
/// split on whitespace and around punctuation and CJK characters, and each word is cut greedily into the
/// longest matching pieces; a word that cannot be cut becomes [UNK]. Thread-safe.</summary>
internal sealed class WpmEncoder
{
    private readonly Vocabulary _vocab;
    private readonly bool _lowercase = true;
    private readonly bool _stripAccents = true;

    public WpmEncoder(Vocabulary vocab) => _vocab = vocab;

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        foreach (string word in Words(text))
        {
            string w = "\u2581" + word;
            int before = output.Count;
            for (int i = 0; i < w.Length;)
            {
                int matched = 0;
                for (int j = Math.Min(w.Length, i + _vocab.MaxTokenBytes); j > i; j--)
                {
                    int id = _vocab.IdOf(w.AsSpan(i, j - i));
                    if (id >= 0)
                    {
                        output.Add(id);
                        matched = j - i;
                        break;
                    }
                }
                if (matched == 0)
                {
                    output.RemoveRange(before, output.Count - before); // the whole word is unknown
                    break;
                }
                i += matched;
            }
            if (output.Count == before && _vocab.Unk is { } unk)
                output.Add(unk);
        }
    }

    private List<string> Words(ReadOnlySpan<char> text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        void Finish()
        {
            if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(text[i], text[++i]);
            else if (char.IsSurrogate(text[i]))
                cp = 0xFFFD;
            if (_stripAccents)
                cp = UnicodeNfdBase.Of(cp);

            if (PreTokenizer.IsUnicodeWhitespace(cp))
            {
                Finish();
                continue;
            }
            if (UnicodeVersionGap.UnassignedForLlamaCpp(cp))
            {
                current.Append(char.ConvertFromUtf32(cp)); // no category in llama.cpp's tables: part of the word
                continue;
            }
            var category = CharUnicodeInfo.GetUnicodeCategory(cp);
            if (cp == 0 || cp == 0xFFFD || IsControl(category))
                continue;
            if (_stripAccents && category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                continue;
            int c = !_lowercase ? cp : cp <= 0xFFFF ? char.ToLowerInvariant((char)cp) : Rune.ToLowerInvariant(new Rune(cp)).Value;
            if (IsPunctuation(category) || (cp < 0x7F && IsSymbol(category)) || IsChinese(cp))
            {
                Finish();
                current.Append(char.ConvertFromUtf32(c));
                Finish();
            }
            else
            {
                current.Append(char.ConvertFromUtf32(c));
            }
        }
        Finish();
        return words;
    }

    private static bool IsControl(UnicodeCategory c) =>
        c is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse;

    private static bool IsPunctuation(UnicodeCategory c) => c is UnicodeCategory.ConnectorPunctuation
        or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
        or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsSymbol(UnicodeCategory c) => c is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol
        or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

    private static bool IsChinese(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B920 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
