using Hearth.Cli.Support;
using Hearth.Store;

namespace Hearth.Cli.Tests;

public class PullProgressViewTests
{
    [Fact]
    public void TerminalShowsOneLiveRowPerLayerAndStep()
    {
        var output = new StringWriter { NewLine = "\n" };
        var view = new PullProgressView(output, LiveConsole.For(output));
        view.Report(new PullProgress("pulling manifest"));
        view.Report(new PullProgress("pulling abc", "sha256:abc", 2000, 0));
        view.Report(new PullProgress("pulling abc", "sha256:abc", 2000, 1000));
        view.Report(new PullProgress("pulling def", "sha256:def", 4_000_000, 4_000_000));
        view.Report(new PullProgress("pulling abc", "sha256:abc", 2000, 2000));
        view.Report(new PullProgress("success"));
        view.Finish();
        view.Finish(); // idempotent
        var text = output.ToString();
        Assert.Contains("\u001b[", text); // redrawn in place with ANSI cursor moves
        // The last frame: every row once, in order; downloads complete with their sizes, steps as text only.
        var last = LastFrame(text);
        Assert.Equal(4, last.Count);
        Assert.StartsWith("pulling manifest", last[0]);
        Assert.Equal("pulling manifest", last[0].TrimEnd());
        Assert.Matches(@"^pulling abc\s+100% ━{30} 2\.0 KB", last[1]);
        Assert.Matches(@"^pulling def\s+100% ━{30} 4\.0 MB", last[2]);
        Assert.Equal("success", last[3].TrimEnd());
    }

    /// <summary>The rows of the display's last frame, ANSI sequences removed.</summary>
    private static List<string> LastFrame(string text)
    {
        var plain = System.Text.RegularExpressions.Regex.Replace(text, "\u001b\\[[0-9;?]*[A-Za-z]", "");
        var lines = plain.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        int start = lines.FindLastIndex(l => l.StartsWith("pulling manifest", StringComparison.Ordinal));
        return lines[start..];
    }

    [Fact]
    public void PlainOutputPrintsEachTenPercentOnce()
    {
        var output = new StringWriter { NewLine = "\n" };
        var view = new PullProgressView(output, terminal: false);
        foreach (var done in new long[] { 0, 5, 10, 11, 55, 100 })
            view.Report(new PullProgress("pulling x", null, 100, done));
        view.Finish();
        Assert.Equal("pulling x 0% (0 B/100 B)\npulling x 10% (10 B/100 B)\npulling x 50% (55 B/100 B)\npulling x 100% (100 B/100 B)\n", output.ToString());
    }

    [Theory]
    [InlineData(999, "999 B")]
    [InlineData(749728, "750 KB")]
    [InlineData(4_920_000_000, "4.9 GB")]
    [InlineData(1_500_000, "1.5 MB")]
    public void SizesReadLikeOllama(long bytes, string text) => Assert.Equal(text, Format.Bytes(bytes));

    [Fact]
    public void UntilAndAgo()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal("4 minutes from now", Format.Until(now.AddMinutes(4.5), now));
        Assert.Equal("30 seconds from now", Format.Until(now.AddSeconds(30), now));
        Assert.Equal("Forever", Format.Until(DateTimeOffset.MaxValue, now));
        Assert.Equal("Stopping...", Format.Until(now.AddSeconds(-1), now));
        Assert.Equal("2 hours ago", Format.Ago(now.AddHours(-2.5), now));
        Assert.Equal("1 day ago", Format.Ago(now.AddDays(-1), now));
    }
}
