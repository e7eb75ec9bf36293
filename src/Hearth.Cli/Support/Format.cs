using System.Globalization;

namespace Hearth.Cli.Support;

/// <summary>Human-readable sizes, ages and aligned tables, as Ollama prints them.</summary>
internal static class Format
{
    public static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1e6 => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        >= 1e3 => (bytes / 1e3).ToString("0", CultureInfo.InvariantCulture) + " KB",
        _ => ((long)bytes).ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string Ago(DateTimeOffset when, DateTimeOffset now)
    {
        var d = now - when;
        if (d < TimeSpan.FromMinutes(1)) return "Less than a minute ago";
        if (d < TimeSpan.FromHours(1)) return Plural((int)d.TotalMinutes, "minute") + " ago";
        if (d < TimeSpan.FromDays(1)) return Plural((int)d.TotalHours, "hour") + " ago";
        return Plural((int)d.TotalDays, "day") + " ago";
    }

    /// <summary>"4 minutes from now", "Forever", "Stopping...".</summary>
    public static string Until(DateTimeOffset when, DateTimeOffset now)
    {
        if (when.Year >= 9999 || when - now > TimeSpan.FromDays(365 * 100)) return "Forever";
        var d = when - now;
        if (d <= TimeSpan.Zero) return "Stopping...";
        if (d < TimeSpan.FromMinutes(1)) return Plural((int)Math.Ceiling(d.TotalSeconds), "second") + " from now";
        if (d < TimeSpan.FromHours(1)) return Plural((int)d.TotalMinutes, "minute") + " from now";
        return Plural((int)d.TotalHours, "hour") + " from now";
    }

    public static string Duration(TimeSpan d) => d.TotalHours >= 1 ? $"{(int)d.TotalHours}h{d.Minutes}m"
        : d.TotalMinutes >= 1 ? $"{d.Minutes}m{d.Seconds}s" : $"{Math.Max(0, (int)Math.Ceiling(d.TotalSeconds))}s";

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";

    /// <summary>Writes rows as columns separated by at least 4 spaces (the first row is the header).</summary>
    public static void Table(TextWriter output, IReadOnlyList<string[]> rows)
    {
        int columns = rows.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c] + 4));
            output.WriteLine(string.Concat(cells).TrimEnd());
        }
    }
}
