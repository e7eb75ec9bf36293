namespace Hearth.Bench.Metrics;

/// <summary>Summary of a sample, in milliseconds: mean, population standard deviation, median, P90, P99, max.
/// Percentiles interpolate linearly between closest ranks (numpy's default, which vLLM and GuideLLM report):
/// rank = p/100 × (n − 1), value = x[⌊rank⌋] + (rank − ⌊rank⌋) × (x[⌊rank⌋+1] − x[⌊rank⌋]).
/// An empty sample summarises to all zeros, as vLLM does.</summary>
public sealed record Distribution(int Count, double Mean, double Std, double Median, double P90, double P99, double Max)
{
    public static readonly Distribution Empty = new(0, 0, 0, 0, 0, 0, 0);

    /// <summary>Summarises values given in seconds, reporting milliseconds.</summary>
    public static Distribution FromSeconds(IEnumerable<double> seconds)
    {
        var sorted = seconds.Select(s => s * 1000.0).ToArray();
        if (sorted.Length == 0) return Empty;
        Array.Sort(sorted);
        double mean = sorted.Average();
        double variance = 0;
        foreach (var v in sorted) variance += (v - mean) * (v - mean);
        variance /= sorted.Length;
        return new Distribution(sorted.Length, mean, Math.Sqrt(variance), Percentile(sorted, 50),
            Percentile(sorted, 90), Percentile(sorted, 99), sorted[^1]);
    }

    /// <summary>Linear-interpolation percentile of an ascending-sorted, non-empty array; p in [0, 100].</summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty) throw new ArgumentException("empty sample", nameof(sorted));
        if (p is < 0 or > 100 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p));
        double rank = p / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        double frac = rank - lo;
        return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
    }
}
