namespace Hearth.Cpu.Tests;

/// <summary>Double-precision causal attention over what a KV cache holds, the oracle of the paged-attention kernel
/// tests: scores scaled, masked outside the sliding window, softcapped, ALiBi-biased, softmaxed with optional sink
/// logits, then the weighted sum of V. Rows are laid out per sequence as [position][KV head][head dim].</summary>
internal static class AttentionOracle
{
    public sealed record Geometry(int Heads, int KvHeads, int HeadDim, float Scale, int Window = 0, float Softcap = 0,
        float[]? Sinks = null, float[]? AlibiSlopes = null);

    /// <summary>Asserts that <paramref name="output"/> (tokens × heads × hd) is the attention of queries
    /// <paramref name="q"/> over <paramref name="keys"/>/<paramref name="values"/> within <paramref name="tolerance"/>.</summary>
    public static void AssertMatches(float[] output, float[] q, float[][] keys, float[][] values, int[] tokenSequence,
        int[] positions, int[]? queryPositions, Geometry g, double tolerance)
    {
        int heads = g.Heads, hd = g.HeadDim, width = g.KvHeads * hd;
        for (int t = 0; t < positions.Length; t++)
            for (int h = 0; h < heads; h++)
            {
                int s = tokenSequence[t], kvh = h / (heads / g.KvHeads), n = positions[t] + 1;
                int first = g.Window > 0 ? Math.Max(0, positions[t] - g.Window + 1) : 0;
                var w = new double[n];
                for (int p = 0; p < n; p++)
                {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) dot += q[(t * heads + h) * hd + i] * keys[s][p * width + kvh * hd + i];
                    w[p] = p < first ? double.NegativeInfinity : dot * g.Scale;
                    if (g.Softcap > 0 && p >= first) w[p] = g.Softcap * Math.Tanh(w[p] / g.Softcap);
                    if (g.AlibiSlopes is { } slopes && p >= first) w[p] -= slopes[h] * Math.Abs(queryPositions![t] - p);
                }
                double max = Math.Max(w.Max(), g.Sinks?[h] ?? double.NegativeInfinity);
                double sum = w.Sum(x => Math.Exp(x - max)) + (g.Sinks is { } sinks ? Math.Exp(sinks[h] - max) : 0);
                for (int i = 0; i < hd; i++)
                {
                    double expected = 0;
                    for (int p = first; p < n; p++) expected += Math.Exp(w[p] - max) / sum * values[s][p * width + kvh * hd + i];
                    float got = output[(t * heads + h) * hd + i];
                    Assert.True(Math.Abs(got - expected) <= tolerance, $"t={t} h={h} i={i}: {got} vs {expected}");
                }
            }
    }
}
