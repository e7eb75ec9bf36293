namespace Hearth.Bench.Reports;

/// <summary>A piece of a console report: text, or a table. The plain reporter joins them as text; the live one draws
/// the tables with Spectre.Console. Both print the same cells.</summary>
internal sealed record ReportBlock(string? Text = null, TextTable? Table = null)
{
    public static string Plain(IEnumerable<ReportBlock> blocks) => string.Concat(blocks.Select(b => b.Text ?? b.Table!.ToString()));
}
