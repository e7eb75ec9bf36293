using System.Globalization;
using System.Text;

namespace Hearth.Server.Metrics;

/// <summary>A Prometheus histogram (cumulative buckets, sum, count) for one label set. Thread-safe.</summary>
public sealed class Histogram(double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private double _sum;
    private long _count;
    private readonly Lock _lock = new();

    public long Count { get { lock (_lock) return _count; } }

    public void Observe(double value)
    {
        var i = System.Array.BinarySearch(bounds, value);
        if (i < 0) i = ~i; // first bound ≥ value (le is inclusive)
        lock (_lock)
        {
            _counts[i]++;
            _sum += value;
            _count++;
        }
    }

    /// <summary>Appends the _bucket/_sum/_count lines.</summary>
    public void Write(StringBuilder sb, string name, string labels)
    {
        long[] counts; double sum; long count;
        lock (_lock) { counts = (long[])_counts.Clone(); sum = _sum; count = _count; }
        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += counts[i];
            sb.Append(name).Append("_bucket{").Append(labels).Append(",le=\"").Append(Fmt(bounds[i])).Append("\"} ").Append(cumulative).Append('\n');
        }
        sb.Append(name).Append("_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(count).Append('\n');
        sb.Append(name).Append("_sum{").Append(labels).Append("} ").Append(Fmt(sum)).Append('\n');
        sb.Append(name).Append("_count{").Append(labels).Append("} ").Append(count).Append('\n');
    }

    public static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
