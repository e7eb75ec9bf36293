namespace Hearth.Engine;

/// <summary>What one engine step costs, learned from the steps run so far: seconds ≈ fixed + perToken · tokens, fitted by
/// least squares with exponential forgetting (recent steps weigh most, so a machine that gets busier or a context that
/// grows moves the fit). The fixed part is what every step pays whatever its size (reading the weights once on a CPU,
/// kernel launches on a GPU); <see cref="FixedCostTokens"/> states it in tokens, the unit of the scheduler's budget.</summary>
internal sealed class StepCostModel(double initialFixedCostTokens)
{
    // Weight of a step n steps ago is Decay^n: a memory of about 200 steps.
    private const double Decay = 0.995;
    // The fit needs steps of different sizes: a token-count variance below this (e.g. decode-only steps of one size) says nothing.
    private const double MinimumVariance = 4;
    private double _w, _t, _s, _tt, _ts;

    /// <summary>A step's fixed cost in tokens (fixed / perToken); the initial guess until the steps seen tell it apart.</summary>
    public double FixedCostTokens { get; private set; } = initialFixedCostTokens;

    public void Observe(int tokens, double seconds)
    {
        if (tokens <= 0 || !(seconds > 0)) return;
        _w = _w * Decay + 1;
        _t = _t * Decay + tokens;
        _s = _s * Decay + seconds;
        _tt = _tt * Decay + (double)tokens * tokens;
        _ts = _ts * Decay + tokens * seconds;
        double meanT = _t / _w, meanS = _s / _w;
        double variance = _tt / _w - meanT * meanT;
        if (variance < MinimumVariance) return;
        double perToken = (_ts / _w - meanT * meanS) / variance;
        double fixedSeconds = meanS - perToken * meanT;
        // A noisy fit (a busy machine) can come out negative: keep the last sensible estimate then.
        if (perToken <= 0 || fixedSeconds < 0) return;
        FixedCostTokens = fixedSeconds / perToken;
    }
}
