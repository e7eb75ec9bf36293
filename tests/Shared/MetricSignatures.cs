using System.Text.RegularExpressions;

namespace Hearth.Tests;

/// <summary>Reads the Prometheus text format into "name{label,label}" signatures (label names only, in the order
/// written, values dropped) and the family types from "# TYPE", so a test can compare the set of series a /metrics
/// page offers with a committed list.</summary>
public static partial class MetricSignatures
{
    [GeneratedRegex("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+\\S+")]
    private static partial Regex Sample();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Label();

    /// <summary>Signatures of every sample line whose name starts with <paramref name="prefix"/>, sorted.</summary>
    public static SortedSet<string> Of(string text, string prefix)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var m = Sample().Match(line);
            if (!m.Success) throw new FormatException("not a sample line: " + line);
            if (!m.Groups[1].Value.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var labels = Label().Matches(m.Groups[2].Value).Select(l => l.Groups[1].Value);
            set.Add(m.Groups[1].Value + "{" + string.Join(",", labels) + "}");
        }
        return set;
    }

    /// <summary>"name type" for each "# TYPE" line whose family starts with <paramref name="prefix"/>, sorted.</summary>
    public static SortedSet<string> Types(string text, string prefix) =>
        new(text.Split('\n').Where(l => l.StartsWith("# TYPE " + prefix, StringComparison.Ordinal)).Select(l => l["# TYPE ".Length..]),
            StringComparer.Ordinal);

    /// <summary>The committed list (one signature a line, '#' comments) in tests/fixtures/metrics.</summary>
    public static SortedSet<string> Committed(string file) =>
        new(File.ReadAllLines(Path.Combine(TestPaths.Fixtures, "metrics", file)).Where(l => l.Length > 0 && l[0] != '#'), StringComparer.Ordinal);
}
