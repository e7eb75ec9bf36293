namespace Hearth.Engine.Speculative;

/// <summary>Switches speculation off for a sequence whose drafts keep being rejected: after every
/// <see cref="Window"/> drafted tokens the acceptance rate is judged; below the minimum the sequence decodes plainly
/// for a pause that doubles each time it is judged again to be low (up to <see cref="LongestPause"/> steps), so a
/// sequence that never accepts costs a few wasted verifications per doubling — a vanishing share of its steps —
/// while one whose text turns repetitive later (prompt lookup) is tried again.</summary>
internal static class AdaptiveSwitch
{
    public const int Window = 16;
    public const int FirstPause = 8;
    public const int LongestPause = 512;

    public static void Record(SpeculationState state, int drafted, int accepted, double minAcceptance)
    {
        state.WindowDrafted += drafted;
        state.WindowAccepted += accepted;
        if (state.WindowDrafted < Window) return;
        if (state.WindowAccepted < minAcceptance * state.WindowDrafted)
        {
            state.PausedSteps = state.NextPause;
            state.NextPause = Math.Min(state.NextPause * 2, LongestPause);
        }
        else
        {
            state.NextPause = FirstPause;
        }
        state.WindowDrafted = state.WindowAccepted = 0;
    }
}
