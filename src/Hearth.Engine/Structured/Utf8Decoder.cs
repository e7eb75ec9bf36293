namespace Hearth.Engine.Structured;

/// <summary>The states of a UTF-8 decoder that accepts exactly the encodings of Unicode scalar values (no overlong
/// forms, no surrogates, nothing above U+10FFFF), for <see cref="ElementKind.Utf8"/> elements. State 0 is "at a
/// character boundary"; <see cref="Step"/> returns 0 when a character is complete, -1 when the byte is invalid.</summary>
internal static class Utf8Decoder
{
    // Continuation bytes still needed, and the first one's range when it is narrower than 80..BF.
    private const int Need1 = 1, Need2 = 2, Need3 = 3, AfterE0 = 4, AfterED = 5, AfterF0 = 6, AfterF4 = 7;

    public static int Step(int state, byte b)
    {
        switch (state)
        {
            case 0:
                return b switch
                {
                    < 0x80 => 0,
                    >= 0xC2 and <= 0xDF => Need1,
                    0xE0 => AfterE0,
                    0xED => AfterED,
                    >= 0xE1 and <= 0xEF => Need2,
                    0xF0 => AfterF0,
                    >= 0xF1 and <= 0xF3 => Need3,
                    0xF4 => AfterF4,
                    _ => -1,
                };
            case Need1: return Continuation(b) ? 0 : -1;
            case Need2: return Continuation(b) ? Need1 : -1;
            case Need3: return Continuation(b) ? Need2 : -1;
            case AfterE0: return b is >= 0xA0 and <= 0xBF ? Need1 : -1;
            case AfterED: return b is >= 0x80 and <= 0x9F ? Need1 : -1;
            case AfterF0: return b is >= 0x90 and <= 0xBF ? Need2 : -1;
            case AfterF4: return b is >= 0x80 and <= 0x8F ? Need2 : -1;
            default: return -1;
        }
    }

    private static bool Continuation(byte b) => b is >= 0x80 and <= 0xBF;
}
