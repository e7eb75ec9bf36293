namespace Hearth.Engine;

/// <summary>How many tokens one step may compute (Sarathi-Serve's stall-free batching; vLLM's chunked prefill budget).
/// With nobody decoding the budget is <see cref="EngineOptions.MaxNumBatchedTokens"/>: prompts run in big chunks, as fast
/// as they can. While D sequences decode, every step is a token of theirs, so a prompt chunk in the same step delays all
/// of them: the budget then keeps the step's cost within <see cref="EngineOptions.InterTokenLatencyRatio"/> (R) times
/// the cost of a decode-only step. With cost = fixed + perToken · tokens and W = fixed / perToken (the
/// <see cref="StepCostModel"/>'s estimate, or <see cref="EngineOptions.StepFixedCostTokens"/>):
/// W + B ≤ R · (W + D), so B = ⌊R · D + (R − 1) · W⌋, at least D + 1 so prompts always progress. The prompt share
/// B − D grows with D (a bigger decode step hides a bigger chunk) but shrinks relative to it: the more streams
/// decode, the smaller the fraction of a step that prompts may take. D is the width the batch is heading to — the
/// sequences decoding plus those whose prompts are still to run (up to <see cref="EngineOptions.MaxNumSeqs"/>) —
/// not the few that happen to decode now: when a burst arrives and the first prompt finishes before the rest, a
/// budget sized for one decoding stream (B ≈ W + 2) would feed the other prompts a handful of tokens per step while
/// that stream decodes alone, the slowest way to run both (a one-token step costs almost what a 16-token one does).
/// Sized for the coming width, each step costs what the full decode steps will, so the median inter-token latency
/// is that step's and the bound still holds relative to it.</summary>
internal sealed class StepBudget(EngineOptions options)
{
    // Before any step was timed: a guess of the right order for a 1B model on a few CPU cores (a decode step costs
    // about as much as 8–16 prompt tokens); the fit replaces it after a few dozen steps of different sizes.
    private const double InitialFixedCostTokens = 12;

    private readonly StepCostModel _cost = new(options.StepFixedCostTokens ?? InitialFixedCostTokens);

    /// <summary>A step's fixed cost in tokens in use now (the option when set, else the learned estimate).</summary>
    public double FixedCostTokens => options.StepFixedCostTokens ?? _cost.FixedCostTokens;

    /// <summary>Tokens allowed in a step where <paramref name="decoding"/> sequences each need one decode token and
    /// <paramref name="prefilling"/> more (running or waiting) still have prompt tokens to compute.</summary>
    public int Tokens(int decoding, int prefilling = 0)
    {
        int max = options.MaxNumBatchedTokens;
        double ratio = options.InterTokenLatencyRatio;
        if (decoding == 0 || ratio <= 0) return max;
        int width = Math.Max(decoding, Math.Min(options.MaxNumSeqs, decoding + prefilling));
        double budget = ratio * width + (ratio - 1) * FixedCostTokens;
        return (int)Math.Min(max, Math.Max(decoding + 1, Math.Floor(budget)));
    }

    /// <summary>Teaches the cost model what a step of <paramref name="tokens"/> tokens took.</summary>
    public void Observe(int tokens, TimeSpan elapsed)
    {
        if (options.StepFixedCostTokens is null) _cost.Observe(tokens, elapsed.TotalSeconds);
    }
}
