using System.Text;
using Hearth.Core.Tokenizers;

namespace Hearth.Engine.Tests.Engine;

/// <summary>A 64-token vocabulary: 0 = EOS, 1 = BOS (control, no text); 2..27 'a'..'z'; 28 ' '; 29, 30 the two
/// bytes of 'é'; 31..33 the three bytes of '€'; 34..59 'A'..'Z'; 60..63 '.', ',', '!', '\n'.
/// <see cref="Poison"/> makes TokenBytes throw for one id (a failure inside one request).</summary>
internal sealed class FakeTokenizer : ITokenizer
{
    public const int Eos = 0;
    public int VocabSize => 64;
    public int? BosId => 1;
    public int? EosId => Eos;
    public bool AddBos => false;
    public bool AddEos => false;
    public int? Poison { get; init; }

    public static byte[] Bytes(int id) => id switch
    {
        0 or 1 => [],
        >= 2 and <= 27 => [(byte)('a' + id - 2)],
        28 => [(byte)' '],
        29 => [0xC3],
        30 => [0xA9],
        31 => [0xE2],
        32 => [0x82],
        33 => [0xAC],
        >= 34 and <= 59 => [(byte)('A' + id - 34)],
        60 => [(byte)'.'],
        61 => [(byte)','],
        62 => [(byte)'!'],
        63 => [(byte)'\n'],
        _ => throw new ArgumentOutOfRangeException(nameof(id)),
    };

    /// <summary>Token id of a single ASCII letter or space.</summary>
    public static int Id(char c) => c switch
    {
        >= 'a' and <= 'z' => c - 'a' + 2,
        >= 'A' and <= 'Z' => c - 'A' + 34,
        ' ' => 28,
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public byte[] TokenBytes(int tokenId, bool renderSpecial = false)
    {
        if (tokenId == Poison) throw new InvalidOperationException($"poisoned token {tokenId}");
        return Bytes(tokenId);
    }

    public int[] Encode(string text, bool addSpecial, bool parseSpecial) => text.Select(Id).ToArray();

    public string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false)
    {
        var bytes = new List<byte>();
        foreach (int id in tokenIds) bytes.AddRange(Bytes(id));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public bool IsEndOfGeneration(int tokenId) => tokenId == Eos;
    public string TokenText(int tokenId) => Encoding.UTF8.GetString(Bytes(tokenId));
}
