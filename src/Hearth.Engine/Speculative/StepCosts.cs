namespace Hearth.Engine.Speculative;

/// <summary>What a draft position costs, measured: an exponential moving average of the wall time of decode-only steps
/// without drafts (a plain step), and of the extra time of decode-only steps with drafts — their forward pass over
/// k + 1 rows per sequence and the proposal that made the drafts (k draft-model passes, with whatever the draft had
/// to catch up on) — over a plain step, per draft position (the most drafts any sequence of the step carried: the
/// draft model's passes). So <see cref="OverheadPerDraft"/> × k is the price of a verification step in plain steps:
/// about 0.01–0.1 for prompt lookup (only rows), about 1 for a draft model as large as the target.</summary>
internal sealed class StepCosts
{
    private const double Alpha = 0.25;
    // Before anything is measured, and the floor of a measurement (timing noise can make a step with drafts look
    // cheaper than a plain one; a draft position is never free).
    private const double Unknown = 0.25, Floor = 0.01, Ceiling = 16;
    private double _plain, _overhead;

    /// <summary>Whether a plain decode step has been timed (the scale every overhead is measured against).</summary>
    public bool HasPlain => _plain > 0;

    /// <summary>Extra cost of one draft position in plain steps.</summary>
    public double OverheadPerDraft => _overhead > 0 ? _overhead : Unknown;

    /// <summary>Mean seconds of a plain decode step (0 before one is timed).</summary>
    public double PlainSeconds => _plain;

    public void RecordPlain(double seconds)
    {
        if (!(seconds > 0)) return;
        _plain = _plain == 0 ? seconds : _plain + Alpha * (seconds - _plain);
    }

    /// <param name="draftPositions">The most drafts one sequence carried in the step.</param>
    public void RecordSpeculative(double seconds, int draftPositions)
    {
        if (_plain == 0 || draftPositions <= 0 || !(seconds > 0)) return;
        double sample = Math.Clamp((seconds / _plain - 1) / draftPositions, Floor, Ceiling);
        _overhead = _overhead == 0 ? sample : _overhead + Alpha * (sample - _overhead);
    }
}
