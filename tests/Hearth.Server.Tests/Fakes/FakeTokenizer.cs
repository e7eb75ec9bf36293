using System.Text;
using Hearth.Core.Tokenizers;

namespace Hearth.Server.Tests.Fakes;

/// <summary>A byte-level tokenizer: id = byte + 3; 1 = "&lt;s&gt;" (BOS), 2 = "&lt;/s&gt;" (EOS). Token counts are easy to predict.</summary>
public sealed class FakeTokenizer(bool addBos = true) : ITokenizer
{
    public const int Bos = 1, Eos = 2, Offset = 3;
    public int VocabSize => 256 + Offset;
    public int? BosId => Bos;
    public int? EosId => Eos;
    public bool AddBos => addBos;
    public bool AddEos => false;

    public int[] Encode(string text, bool addSpecial, bool parseSpecial)
    {
        var ids = new List<int>();
        if (addSpecial && addBos) ids.Add(Bos);
        var i = 0;
        while (i < text.Length)
        {
            if (parseSpecial && string.CompareOrdinal(text, i, "<s>", 0, 3) == 0) { ids.Add(Bos); i += 3; continue; }
            if (parseSpecial && string.CompareOrdinal(text, i, "</s>", 0, 4) == 0) { ids.Add(Eos); i += 4; continue; }
            var len = char.IsSurrogatePair(text, i) ? 2 : 1;
            foreach (var b in Encoding.UTF8.GetBytes(text.Substring(i, len))) ids.Add(b + Offset);
            i += len;
        }
        return [.. ids];
    }

    public byte[] TokenBytes(int tokenId, bool renderSpecial = false) => tokenId switch
    {
        Bos => renderSpecial ? "<s>"u8.ToArray() : [],
        Eos => renderSpecial ? "</s>"u8.ToArray() : [],
        _ => [(byte)(tokenId - Offset)],
    };

    public string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false)
    {
        var bytes = new List<byte>();
        foreach (var t in tokenIds) bytes.AddRange(TokenBytes(t, renderSpecial));
        return Encoding.UTF8.GetString([.. bytes]);
    }

    public bool IsEndOfGeneration(int tokenId) => tokenId == Eos;
    public string TokenText(int tokenId) => tokenId switch { Bos => "<s>", Eos => "</s>", _ => ((char)(tokenId - Offset)).ToString() };
}
