using Hearth.Cli.Support;
using Hearth.Store;

namespace Hearth.Cli.Tests;

public class PullProgressViewTests
{
    [Fact]
    public void TerminalGetsOneRedrawnBarPerDownload()
    {
        var output = new StringWriter { NewLine = "\n" };
        var view = new PullProgressView(output, terminal: true);
        view.Report(new PullProgress("pulling manifest"));
        view.Report(new PullProgress("pulling abc", "sha256:abc", 2000, 0));
        view.Report(new PullProgress("pulling abc", "sha256:abc", 2000, 1000));
        view.Report(new PullProgress("pulling abc", "sha256:abc", 2000, 2000));
        view.Report(new PullProgress("success"));
        view.Finish();
        var text = output.ToString();
        Assert.StartsWith("pulling manifest\n\rpulling abc   0% ▕                              ▏ 0 B/2 KB\u001b[K", text);
        Assert.Contains("\rpulling abc  50% ▕███████████████               ▏ 1 KB/2 KB", text);
        Assert.Contains("\rpulling abc 100% ▕██████████████████████████████▏ 2 KB/2 KB", text);
        Assert.EndsWith("\u001b[K\nsuccess\n", text);
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
