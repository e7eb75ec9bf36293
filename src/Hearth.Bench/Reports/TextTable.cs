using System.Text;

namespace Hearth.Bench.Reports;

/// <summary>A plain-text table: the first column left-aligned, the rest right-aligned, columns two spaces apart.
/// Plain text rather than box drawing so it reads the same in a terminal, a log file and a CI page.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public IReadOnlyList<string> Headers => headers;
    public IReadOnlyList<string[]> Rows => _rows;

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException("cell count differs from header count");
        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells)
        {
            for (int i = 0; i < cells.Length; i++)
            {
                if (i > 0) sb.Append("  ");
                sb.Append(i == 0 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
            }
            sb.Append('\n');
        }
        Line(headers);
        Line(widths.Select(w => new string('-', w)).ToArray());
        foreach (var r in _rows) Line(r);
        return sb.ToString();
    }
}
