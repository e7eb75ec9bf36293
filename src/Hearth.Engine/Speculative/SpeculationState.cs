namespace Hearth.Engine.Speculative;

/// <summary>One sequence's speculative decoding state: the draft tokens proposed for its next step (with the draft
/// distribution each was drawn from, when a draft model sampled them), its adaptive draft length and the acceptance history that switches
/// speculation off for it while drafts keep being rejected.</summary>
internal sealed class SpeculationState
{
    /// <summary>Draft tokens for the next step, proposed after the last one (empty: a plain decode step).</summary>
    public int[] Drafts { get; set; } = [];

    /// <summary>Per draft, the distribution it was drawn from (Drafts.Length × vocab), or null when the proposal is
    /// a point mass (prompt lookup, greedy drafts): what rejection sampling divides by.</summary>
    public float[]? DraftProbs { get; set; }

    /// <summary>How many drafts to propose next (see <see cref="AdaptiveSwitch"/>): a probe of one at first.</summary>
    public int Length { get; set; } = 1;

    /// <summary>The last verification's outcome, applied to the switch once the step's cost is measured (null:
    /// nothing verified since).</summary>
    public (int Drafted, int Accepted)? LastVerified { get; set; }

    /// <summary>Verification steps in a row with nothing accepted, and whether any draft was ever accepted.</summary>
    public int Misses { get; set; }
    public bool EverAccepted { get; set; }

    /// <summary>Drafted and accepted tokens, verification steps and their extra cost (plain steps) since the window
    /// was last judged.</summary>
    public int WindowDrafted { get; set; }
    public int WindowAccepted { get; set; }
    public int WindowSteps { get; set; }
    public double WindowSpent { get; set; }

    /// <summary>Steps left without drafts (switched off while drafts do not pay).</summary>
    public int PausedSteps { get; set; }

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
