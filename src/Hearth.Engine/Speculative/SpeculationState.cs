namespace Hearth.Engine.Speculative;

/// <summary>One sequence's speculative decoding state: the draft tokens proposed for its next step (with the draft
/// distribution each was drawn from, when a draft model sampled them) and the acceptance history that switches
/// speculation off for it while drafts keep being rejected.</summary>
internal sealed class SpeculationState
{
    /// <summary>Draft tokens for the next step, proposed after the last one (empty: a plain decode step).</summary>
    public int[] Drafts { get; set; } = [];

    /// <summary>Per draft, the distribution it was drawn from (Drafts.Length × vocab), or null when the proposal is
    /// a point mass (prompt lookup, greedy drafts): what rejection sampling divides by.</summary>
    public float[]? DraftProbs { get; set; }

    /// <summary>Drafted and accepted tokens since the acceptance was last judged.</summary>
    public int WindowDrafted { get; set; }
    public int WindowAccepted { get; set; }
    public int WindowSteps { get; set; }

    /// <summary>Steps left without drafts (switched off for low acceptance), and the next pause's length.</summary>
    public int PausedSteps { get; set; }
    public int NextPause { get; set; } = AdaptiveSwitch.FirstPause;

    /// <summary>The drafts of <paramref name="seq"/> that a step scheduling <paramref name="count"/> of its tokens
    /// carries: the tokens past its one uncomputed token, fewer than proposed when the step's budget ran short.</summary>
    public static int[] DraftsScheduled(Sequence seq, int count)
    {
        if (seq.Speculation is not { Drafts.Length: > 0 } state) return [];
        int remaining = seq.Tokens.Count - seq.NumComputed;
        int drafts = count - remaining;
        if (remaining != 1 || drafts <= 0) return [];
        return drafts >= state.Drafts.Length ? state.Drafts : state.Drafts[..drafts];
    }
}
