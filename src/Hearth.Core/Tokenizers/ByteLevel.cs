namespace Hearth.Core.Tokenizers;

/// <summary>GPT-2's reversible byte↔character mapping: printable bytes map to themselves, the other 68
/// bytes to U+0100 and up, so that every byte string becomes a printable string of BMP characters.</summary>
internal static class ByteLevel
{
    /// <summary>The character standing for each byte.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByteMap = BuildCharToByte();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var assigned = new bool[256];
        for (int b = 0; b < 256; b++)
        {
            if (b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF)
            {
                map[b] = (char)b;
                assigned[b] = true;
            }
        }
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!assigned[b])
                map[b] = (char)(256 + n++);
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var d = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++)
            d[ByteToChar[b]] = (byte)b;
        return d;
    }

    public static bool TryCharToByte(char c, out byte b) => CharToByteMap.TryGetValue(c, out b);
}
