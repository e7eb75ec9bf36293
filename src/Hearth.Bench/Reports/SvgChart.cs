using System.Globalization;
using System.Net;
using System.Text;

namespace Hearth.Bench.Reports;

/// <summary>A small line chart as inline SVG: categorical x (the sweep's levels, evenly spaced because they are
/// usually geometric: 1, 4, 16, 64), a y axis from zero to a round maximum, one coloured line with dots and
/// value labels per series, and a legend. No script and no external resource.</summary>
internal static class SvgChart
{
    public sealed record Series(string Name, IReadOnlyList<double?> Values);

    private static readonly string[] Colours = ["#2563eb", "#ea580c", "#16a34a", "#9333ea"];
    private const int W = 460, H = 280, Left = 60, Right = 16, Top = 34, Bottom = 44;

    public static string Line(string title, string xLabel, string yLabel, IReadOnlyList<string> xs, IReadOnlyList<Series> series)
    {
        var all = series.SelectMany(s => s.Values).Where(v => v.HasValue).Select(v => v!.Value).ToList();
        double max = NiceMax(all.Count == 0 ? 1 : all.Max());
        double plotW = W - Left - Right, plotH = H - Top - Bottom;
        const double pad = 26; // keeps the end points' value labels off the y axis
        double X(int i) => Left + (xs.Count == 1 ? plotW / 2 : pad + (plotW - 2 * pad) * i / (xs.Count - 1));
        double Y(double v) => Top + plotH * (1 - v / max);

        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" class=\"chart\">"));
        sb.Append($"<title>{Esc(title)}</title>");
        sb.Append(Inv($"<text x=\"{W / 2}\" y=\"18\" text-anchor=\"middle\" class=\"t\">{Esc(title)}</text>"));
        for (int k = 0; k <= 4; k++)
        {
            double v = max * k / 4, y = Y(v);
            sb.Append(Inv($"<line x1=\"{Left}\" x2=\"{W - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" class=\"g\"/>"));
            sb.Append(Inv($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" class=\"a\">{Num(v)}</text>"));
        }
        for (int i = 0; i < xs.Count; i++)
            sb.Append(Inv($"<text x=\"{X(i):0.#}\" y=\"{H - Bottom + 16}\" text-anchor=\"middle\" class=\"a\">{Esc(xs[i])}</text>"));
        sb.Append(Inv($"<text x=\"{Left + plotW / 2:0.#}\" y=\"{H - 8}\" text-anchor=\"middle\" class=\"l\">{Esc(xLabel)}</text>"));
        sb.Append(Inv($"<text transform=\"translate(14 {Top + plotH / 2:0.#}) rotate(-90)\" text-anchor=\"middle\" class=\"l\">{Esc(yLabel)}</text>"));

        for (int s = 0; s < series.Count; s++)
        {
            var colour = Colours[s % Colours.Length];
            var pts = series[s].Values.Select((v, i) => (v, i)).Where(p => p.v.HasValue)
                .Select(p => (X: X(p.i), Y: Y(p.v!.Value), V: p.v!.Value, I: p.i)).ToList();
            if (pts.Count > 1)
                sb.Append($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', pts.Select(p => Inv($"{p.X:0.#},{p.Y:0.#}")))}\"/>");
            foreach (var p in pts)
            {
                sb.Append(Inv($"<circle cx=\"{p.X:0.#}\" cy=\"{p.Y:0.#}\" r=\"3.5\" fill=\"{colour}\"/>"));
                // The highest series at this x labels its point above, the others below, so close lines stay readable.
                bool top = series.All(o => o.Values[p.I] is not { } ov || ov <= p.V);
                double ly = top ? p.Y - 8 : p.Y + 15;
                sb.Append(Inv($"<text x=\"{p.X:0.#}\" y=\"{ly:0.#}\" text-anchor=\"middle\" class=\"v\" fill=\"{colour}\">{Num(p.V)}</text>"));
            }
            double lx = Left + 8 + 190 * s;
            sb.Append(Inv($"<rect x=\"{lx:0.#}\" y=\"{Top - 12}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>"));
            sb.Append(Inv($"<text x=\"{lx + 14:0.#}\" y=\"{Top - 3}\" class=\"a\">{Esc(series[s].Name)}</text>"));
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>The smallest of 1, 2, 2.5, 5 × 10^k that is at least 1.15 × the largest value (room for labels).</summary>
    internal static double NiceMax(double v)
    {
        if (!(v > 0) || !double.IsFinite(v)) return 1;
        v *= 1.15;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
            if (m * mag >= v) return m * mag;
        return 10 * mag;
    }

    private static string Num(double v) => v >= 100 ? v.ToString("0", CultureInfo.InvariantCulture)
        : v >= 10 ? v.ToString("0.#", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
