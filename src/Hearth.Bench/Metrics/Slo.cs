using System.Globalization;

namespace Hearth.Bench.Metrics;

/// <summary>Service-level objectives for goodput, in milliseconds; a null field is not checked.
/// A completed request is "good" when every given objective holds (≤): TTFT, TPOT (0 for a one-token
/// answer, as vLLM counts it), and end-to-end latency.</summary>
public sealed record Slo(double? TtftMs, double? TpotMs, double? E2elMs)
{
    /// <summary>Parses "ttft=500,tpot=50,e2el=2000" (any subset, any order). Throws FormatException with a
    /// message fit for the user on anything else.</summary>
    public static Slo Parse(string text)
    {
        double? ttft = null, tpot = null, e2el = null;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)
                || ms <= 0 || !double.IsFinite(ms))
                throw new FormatException($"--slo: '{part}' is not NAME=MILLISECONDS with a positive number");
            switch (kv[0].ToLowerInvariant())
            {
                case "ttft": ttft = ms; break;
                case "tpot": tpot = ms; break;
                case "e2el": e2el = ms; break;
                default: throw new FormatException($"--slo: unknown objective '{kv[0]}' (use ttft, tpot, e2el)");
            }
        }
        if (ttft is null && tpot is null && e2el is null)
            throw new FormatException("--slo: give at least one of ttft=MS, tpot=MS, e2el=MS");
        return new Slo(ttft, tpot, e2el);
    }

    public override string ToString() => string.Join(",", new[]
    {
        TtftMs is { } a ? FormattableString.Invariant($"ttft={a}") : null,
        TpotMs is { } b ? FormattableString.Invariant($"tpot={b}") : null,
        E2elMs is { } c ? FormattableString.Invariant($"e2el={c}") : null,
    }.Where(s => s != null));
}
