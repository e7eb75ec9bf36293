namespace Hearth.Engine.Speculative;

/// <summary>Per-sequence draft length and switch-off, decided after every verification step so that drafts that are
/// not accepted cost little even over short outputs:
/// <list type="bullet">
/// <item>A sequence starts with a probe of one draft (<see cref="SpeculationState.Length"/> = 1). Every draft accepted
/// doubles the length (up to k); a partial acceptance sets it to what was accepted + 1; nothing accepted halves it.</item>
/// <item>A verification with nothing accepted (a miss) pauses speculation for long enough that the next probe's
/// measured extra cost stays under <see cref="Budget"/> of the steps: pause = ⌈cost / budget⌉ steps, cost in plain
/// steps (<see cref="StepCosts.OverheadPerDraft"/> × the next length). A cheap miss (prompt lookup on a big model)
/// pauses a step or two, an expensive one (a draft model as large as the target) tens of steps, so text that turns
/// repetitive after a while is caught soon while drafts that never pay cost about the budget. It pauses at once when
/// the sequence has never had a draft accepted (the zero-acceptance case pays for one probe, then the budget), from
/// the second miss in a row otherwise (one miss inside a copied stretch is an edit point, not the end of it). From the
/// <see cref="MissesBeforeGrowth"/>th miss in a row the pause doubles with every further one (up to
/// <see cref="LongestPause"/>): a sequence that never accepts spends a vanishing share of its steps verifying. An
/// accepted draft clears the run of misses.</item>
/// <item>Every <see cref="Window"/> verification steps, drafts that were taken but did not pay — fewer extra tokens
/// than the steps cost, or an acceptance rate under the minimum — pause it for <see cref="ShortPause"/> steps and
/// start it again from a probe.</item>
/// </list></summary>
internal static class AdaptiveSwitch
{
    /// <summary>The share of its steps a sequence whose drafts are never accepted may spend on verification overhead.</summary>
    public const double Budget = 0.015;
    public const int MissesBeforeGrowth = 3;
    public const int Window = 8;
    public const int ShortPause = 4;
    public const int LongestPause = 1024;

    /// <param name="overheadPerDraft">Measured extra cost of a step per draft position, in plain steps.</param>
    /// <param name="minAcceptance">0 turns the switch off (speculation at full length whatever it costs: tests,
    /// benchmarks of the mechanics); the sequence then keeps <paramref name="maxLength"/>.</param>
    public static void Record(SpeculationState state, int drafted, int accepted, double overheadPerDraft, double minAcceptance, int maxLength)
    {
        if (minAcceptance <= 0 || drafted <= 0) return;
        double spent = drafted * overheadPerDraft;
        if (accepted == 0)
        {
            state.Misses++;
            state.Length = Math.Max(1, drafted / 2);
            if (!state.EverAccepted || state.Misses > 1)
            {
                double pause = Math.Ceiling(state.Length * overheadPerDraft / Budget) * Math.Pow(2, Math.Clamp(state.Misses - MissesBeforeGrowth, 0, 20));
                state.PausedSteps = (int)Math.Clamp(pause, 1, LongestPause);
            }
        }
        else
        {
            state.Misses = 0;
            state.EverAccepted = true;
            // All taken: double (a proposer that found fewer than asked, e.g. prompt lookup near the end of a match, does
            // not shrink it).
            state.Length = accepted == drafted ? Math.Min(Math.Max(state.Length, 2 * drafted), maxLength) : accepted + 1;
        }
        state.WindowDrafted += drafted;
        state.WindowAccepted += accepted;
        state.WindowSpent += spent;
        if (++state.WindowSteps < Window) return;
        // Only a window with acceptances is judged here (misses paused already): did the drafts pay?
        if (state.WindowAccepted > 0 && (state.WindowAccepted < state.WindowSpent || state.WindowAccepted < minAcceptance * state.WindowDrafted))
        {
            state.PausedSteps = Math.Max(state.PausedSteps, ShortPause);
            state.Length = 1;
        }
        state.WindowDrafted = state.WindowAccepted = state.WindowSteps = 0;
        state.WindowSpent = 0;
    }
}
