namespace Hearth.Engine.Speculative;

/// <summary>What a draft position costs, measured: the median wall time of the recent decode-only steps without drafts
/// (a plain step), and the median extra time of the recent decode-only steps with drafts — their forward pass over
/// k + 1 rows per sequence and the proposal that made the drafts (k draft-model passes, with whatever the draft had
/// to catch up on) — over a plain step, per draft position (the most drafts any sequence of the step carried: the
/// draft model's passes). So <see cref="OverheadPerDraft"/> × k is the price of a verification step in plain steps:
/// a few hundredths for prompt lookup (only rows), about 1 for a draft model as large as the target. Medians, not
/// means: on a shared machine a step now and then takes many times its usual time, and one such step must not
/// switch speculation off for long.</summary>
internal sealed class StepCosts
{
    private const int Recent = 15;
    // Before anything is measured, and the floor of a measurement (timing noise can make a step with drafts look
    // cheaper than a plain one; a draft position is never free).
    // A sample is capped (a draft model is no bigger than its target: a position costs about a step at most; more is a
    // stall or the first, compiling run), and so is the estimate until a few samples agree.
    private const double Unknown = 0.25, Floor = 0.01, Ceiling = 4, EarlyCeiling = 1;
    private const int Settled = 3;
    private readonly Recents _plain = new(Recent), _overhead = new(Recent);

    /// <summary>Whether a plain decode step has been timed (the scale every overhead is measured against).</summary>
    public bool HasPlain => _plain.Count > 0;

    /// <summary>Extra cost of one draft position in plain steps.</summary>
    public double OverheadPerDraft => _overhead.Count switch
    {
        0 => Unknown,
        < Settled => Math.Min(_overhead.Median, EarlyCeiling),
        _ => _overhead.Median,
    };

    /// <summary>Median seconds of a recent plain decode step (0 before one is timed).</summary>
    public double PlainSeconds => _plain.Count > 0 ? _plain.Median : 0;

    public void RecordPlain(double seconds)
    {
        if (seconds > 0) _plain.Add(seconds);
    }

    /// <param name="draftPositions">The most drafts one sequence carried in the step.</param>
    public void RecordSpeculative(double seconds, int draftPositions)
    {
        if (!HasPlain || draftPositions <= 0 || !(seconds > 0)) return;
        _overhead.Add(Math.Clamp((seconds / _plain.Median - 1) / draftPositions, Floor, Ceiling));
    }

    /// <summary>The last few values and their median (kept up to date as values arrive; a handful, so sorting is cheap).</summary>
    private sealed class Recents(int capacity)
    {
        private readonly double[] _ring = new double[capacity], _sorted = new double[capacity];
        private int _next;

        public int Count { get; private set; }
        public double Median { get; private set; }

        public void Add(double value)
        {
            _ring[_next] = value;
            _next = (_next + 1) % _ring.Length;
            Count = Math.Min(Count + 1, _ring.Length);
            Array.Copy(_ring, _sorted, Count);
            Array.Sort(_sorted, 0, Count);
            Median = Count % 2 == 1 ? _sorted[Count / 2] : (_sorted[Count / 2 - 1] + _sorted[Count / 2]) / 2;
        }
    }
}
