using System.Globalization;

namespace Hearth.Bench.Reports;

/// <summary>Number formatting shared by the reports (invariant culture: a dot for decimals everywhere).</summary>
internal static class Fmt
{
    public static string F(double v, int decimals = 1) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
    public static string Ratio(double? v) => v is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";
    public static string Level(Running.LoadMode mode, double v) => mode == Running.LoadMode.Concurrency
        ? v.ToString("0", CultureInfo.InvariantCulture)
        : v.ToString("0.###", CultureInfo.InvariantCulture);
    public static string LevelName(Running.LoadMode mode) => mode == Running.LoadMode.Concurrency ? "concurrency" : "rate (req/s)";
}
