using System.Globalization;

namespace Hearth.Engine.Structured.Json;

/// <summary>Grammar nodes for the canonical decimal integers of a range (no leading zeros, no "-0"): the classic
/// digit-by-digit split of [lo, hi] into runs of equal length.</summary>
internal static class IntegerRange
{
    /// <summary>The widest integers generated when a side is unbounded (15 digits: exact as a double).</summary>
    public const long Limit = 999_999_999_999_999;

    public static GrammarNode Node(long lo, long hi)
    {
        if (lo > hi) throw new GrammarException($"the integer range [{lo}, {hi}] is empty", "minimum");
        var options = new List<GrammarNode>();
        if (hi >= 0) options.Add(NonNegative(Math.Max(lo, 0), hi));
        if (lo < 0) options.Add(GrammarNode.Sequence(GrammarNode.Literal("-"), NonNegative(hi < 0 ? -hi : 1, -lo)));
        return GrammarNode.Choice(options);
    }

    private static GrammarNode NonNegative(long a, long b)
    {
        var options = new List<GrammarNode>();
        int da = Digits(a), db = Digits(b);
        for (int d = da; d <= db; d++)
        {
            long first = d == 1 ? 0 : Pow10(d - 1), last = Pow10(d) - 1;
            long x = Math.Max(a, first), y = Math.Min(b, last);
            if (x <= y) options.Add(SameLength(Str(x), Str(y)));
        }
        return GrammarNode.Choice(options);
    }

    /// <summary>Digit strings of one length between x and y inclusive (leading zeros allowed in suffixes).</summary>
    private static GrammarNode SameLength(string x, string y)
    {
        if (x.Length == 0) return GrammarNode.Empty;
        char x0 = x[0], y0 = y[0];
        if (x.Length == 1) return GrammarNode.Range(x0, y0);
        if (x0 == y0) return GrammarNode.Sequence(GrammarNode.Literal(x0.ToString()), SameLength(x[1..], y[1..]));
        var options = new List<GrammarNode>();
        string nines = new('9', x.Length - 1), zeros = new('0', x.Length - 1);
        bool lowFull = x[1..] == zeros, highFull = y[1..] == nines;
        char midLo = lowFull ? x0 : (char)(x0 + 1), midHi = highFull ? y0 : (char)(y0 - 1);
        if (!lowFull) options.Add(GrammarNode.Sequence(GrammarNode.Literal(x0.ToString()), SameLength(x[1..], nines)));
        if (midLo <= midHi) options.Add(GrammarNode.Sequence(GrammarNode.Range(midLo, midHi), GrammarNode.Times(GrammarNode.Range('0', '9'), x.Length - 1, x.Length - 1)));
        if (!highFull) options.Add(GrammarNode.Sequence(GrammarNode.Literal(y0.ToString()), SameLength(zeros, y[1..])));
        return GrammarNode.Choice(options);
    }

    private static int Digits(long v) => Str(v).Length;
    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static long Pow10(int n)
    {
        long p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }
}
