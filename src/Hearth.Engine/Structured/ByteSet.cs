using System.Numerics;

namespace Hearth.Engine.Structured;

/// <summary>An immutable set of bytes (256 bits): the terminal of the byte-level grammar.</summary>
public readonly record struct ByteSet(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public static ByteSet Empty => default;
    public static ByteSet All => new(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);

    public static ByteSet Of(byte b) => Range(b, b);

    public static ByteSet Range(int lo, int hi)
    {
        Span<ulong> w = stackalloc ulong[4];
        for (int b = lo; b <= hi; b++) w[b >> 6] |= 1UL << (b & 63);
        return new ByteSet(w[0], w[1], w[2], w[3]);
    }

    public static ByteSet Of(string asciiChars)
    {
        var s = Empty;
        foreach (char c in asciiChars) s |= Of((byte)c);
        return s;
    }

    public bool Contains(byte b) => ((b >> 6) switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 } >> (b & 63) & 1) != 0;

    public bool IsEmpty => (W0 | W1 | W2 | W3) == 0;

    public int Count => BitOperations.PopCount(W0) + BitOperations.PopCount(W1) + BitOperations.PopCount(W2) + BitOperations.PopCount(W3);

    public static ByteSet operator |(ByteSet a, ByteSet b) => new(a.W0 | b.W0, a.W1 | b.W1, a.W2 | b.W2, a.W3 | b.W3);
    public static ByteSet operator &(ByteSet a, ByteSet b) => new(a.W0 & b.W0, a.W1 & b.W1, a.W2 & b.W2, a.W3 & b.W3);
    public static ByteSet operator ~(ByteSet a) => new(~a.W0, ~a.W1, ~a.W2, ~a.W3);
}
