namespace Hearth.Engine.Speculative;

/// <summary>Switches speculation off for a sequence whose drafts do not pay: after every <see cref="Window"/> drafted
/// tokens its verification steps are judged, and it decodes plainly for a while when its acceptance rate is below
/// the minimum or when the tokens each verification step gave (1 + accepted) are fewer than what such a step costs
/// in plain steps (<see cref="StepCosts.Ratio"/>, measured by the engine: on a CPU a step over k + 1 positions of a
/// big model costs well over one plain step, on a tiny model about one). The pause grows fourfold each time the
/// sequence is judged again not to pay (up to <see cref="LongestPause"/> steps) and resets when it pays, so a
/// sequence that never accepts spends a vanishing share of its steps verifying, while one whose text turns
/// repetitive later (prompt lookup) is tried again.</summary>
internal static class AdaptiveSwitch
{
    public const int Window = 8;
    public const int FirstPause = 16;
    public const int LongestPause = 1024;

    /// <param name="minAcceptance">0 turns the switch off (speculation whatever it costs: tests, benchmarks of the mechanics).</param>
    public static void Record(SpeculationState state, int drafted, int accepted, double minAcceptance, double costRatio)
    {
        if (minAcceptance <= 0) return;
        state.WindowDrafted += drafted;
        state.WindowAccepted += accepted;
        state.WindowSteps++;
        if (state.WindowDrafted < Window) return;
        double tokensPerStep = 1 + (double)state.WindowAccepted / state.WindowSteps;
        if (state.WindowAccepted < minAcceptance * state.WindowDrafted || tokensPerStep < costRatio)
        {
            state.PausedSteps = state.NextPause;
            state.NextPause = Math.Min(state.NextPause * 4, LongestPause);
        }
        else
        {
            state.NextPause = FirstPause;
        }
        state.WindowDrafted = state.WindowAccepted = state.WindowSteps = 0;
    }
}

/// <summary>What a decode step with drafts costs against one without, measured: exponential moving averages of the
/// wall time of decode-only steps (no prompt tokens) with and without drafts, the drafts' proposal time included.
/// <see cref="Ratio"/> is 1 until both kinds have been seen.</summary>
internal sealed class StepCosts
{
    private const double Alpha = 0.2;
    private double _plain, _speculative;

    public double Ratio => _plain > 0 && _speculative > 0 ? _speculative / _plain : 1.0;

    public void Record(bool withDrafts, double seconds)
    {
        ref double ema = ref withDrafts ? ref _speculative : ref _plain;
        ema = ema == 0 ? seconds : ema + Alpha * (seconds - ema);
    }
}
