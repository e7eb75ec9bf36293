namespace Hearth.Engine.Speculative;

/// <summary>Switches speculation off for a sequence whose drafts do not pay: after every <see cref="Window"/> drafted
/// tokens its verification steps are judged. A window with no draft accepted pauses speculation for
/// <see cref="FirstPause"/> steps, growing fourfold each time it happens again (up to <see cref="LongestPause"/>), so
/// a sequence that never accepts spends a vanishing share of its steps verifying, while one whose text turns
/// repetitive later (prompt lookup) is tried again. A window with some drafts accepted but an acceptance rate below
/// the minimum, or fewer tokens per verification step (1 + accepted) than such a step costs in plain steps
/// (<see cref="StepCosts.Ratio"/>, measured by the engine: on a CPU a step over k + 1 positions of a big model costs
/// well over one plain step, on a tiny model little more than one), pauses it for a short, fixed
/// <see cref="ShortPause"/> steps. A window that pays resets the pauses.</summary>
internal static class AdaptiveSwitch
{
    public const int Window = 8;
    public const int FirstPause = 16;
    public const int ShortPause = 4;
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
        if (state.WindowAccepted == 0)
        {
            state.PausedSteps = state.NextPause;
            state.NextPause = Math.Min(state.NextPause * 4, LongestPause);
        }
        else if (state.WindowAccepted < minAcceptance * state.WindowDrafted || tokensPerStep < costRatio)
        {
            // Some drafts were taken, just not enough to pay (or timing noise said so): a short pause, no growth.
            state.PausedSteps = ShortPause;
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
