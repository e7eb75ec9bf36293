using static Hearth.Engine.Tests.Engine.EngineHarness;
using Hearth.Engine.Tests.Engine;

namespace Hearth.Engine.Tests.Speculative;

/// <summary>Under sampling, speculation must leave the distribution of the output unchanged. The test draws the first
/// four tokens of N = 3000 seeded requests with and without speculation on an 8-token fake model (the prompt repeats
/// the model's favourite cycle, so drafts are offered at every step and accepted about half the time) and compares,
/// by a two-sample chi-square test of homogeneity, the marginals of tokens 2, 3 and 4 (8 bins each) and the pairs
/// (1, 2) and (2, 3) (64 bins each; bins with fewer than 10 draws in both arms pooled) at α = 0.001 each (the pair
/// tests run hot on sparse bins: plain against plain with other seeds gave χ² ≈ 81 on 63 df at N = 20000). The arms use
/// disjoint seeds. Power: the same test is shown to reject temperature 1.0 against 0.7 (total-variation distance
/// 0.06–0.10 on the marginals, χ² 26–83 against 24.5); by the noncentral chi-square (λ ≈ N/2·Σ(Δp)²/p̄) the power
/// against a TV shift of 0.05 concentrated on two tokens is above 0.99, and about 0.6 at TV 0.02. The draws are
/// seeded, so the outcome is deterministic.</summary>
public class SpeculativeDistributionTests
{
    private const int Vocab = 8, Draws = 3000, Tokens = 4;

    private static int Cycle(int t) => (t * 3 + 1) % 6 + 2;

    private static FakeModel Model(Func<int, int> next, float boost) => new(vocabSize: Vocab) { Next = next, NextBoost = boost };

    private static int[][] Draw(SamplingParams sampling, SpeculativeMethod method, int seeds, FakeModel? draft = null)
    {
        var options = new EngineOptions
        {
            NumKvBlocks = 2048, BlockSize = 4, MaxNumSeqs = 64, SpeculativeMethod = method, NumSpeculativeTokens = 3,
            SpeculativeMaxBatchSize = 1000, SpeculativeMinAcceptance = 0,
        };
        var engine = Untimed(Model(Cycle, 1.5f), new FakeTokenizer(), options, draft);
        var prompt = new List<int> { 2 };
        for (int i = 0; i < 11; i++) prompt.Add(Cycle(prompt[^1]));
        var keys = Enumerable.Range(0, Draws).Select(i => engine.AddRequest(new GenerationRequest($"d{i}", prompt.ToArray(),
            sampling with { Seed = (ulong)(seeds + i), MaxTokens = Tokens, IgnoreEos = true }))).ToArray();
        var all = EngineHarness.RunAll(engine, maxSteps: 100_000);
        if (method != SpeculativeMethod.None)
        {
            var s = engine.GetStats().Speculative!;
            Assert.True(s.DraftTokens > Draws, $"drafts should be offered ({s})");
            Assert.InRange(s.AcceptanceRate, 0.1, 0.95);
        }
        return keys.Select(k => all[k][0].Tokens.ToArray()).ToArray();
    }

    private static readonly SamplingParams Penalised = new() { Temperature = 1f, FrequencyPenalty = 0.4f, PresencePenalty = 0.2f };

    [Fact]
    public void PromptLookupUnderSamplingWithPenaltiesKeepsTheDistribution()
    {
        var plain = Draw(Penalised, SpeculativeMethod.None, seeds: 1);
        var spec = Draw(Penalised, SpeculativeMethod.Ngram, seeds: 100_001);
        AssertSameDistribution(plain, spec);
        // Power check: a cooler sampler (T 0.7) is told apart by the same test.
        var cooler = Draw(Penalised with { Temperature = 0.7f }, SpeculativeMethod.None, seeds: 200_001);
        Assert.False(SameDistribution(plain, cooler, out string why), "the test should see T 1.0 vs 0.7: " + why);
    }

    [Fact]
    public void DraftModelUnderSamplingWithTopKKeepsTheDistribution()
    {
        // The draft prefers another cycle, so q differs from p and the residual draw matters.
        var sampling = new SamplingParams { Temperature = 0.9f, TopK = 6, TopP = 0.95f };
        var plain = Draw(sampling, SpeculativeMethod.None, seeds: 1);
        var spec = Draw(sampling, SpeculativeMethod.Draft, seeds: 100_001, Model(t => (t * 5 + 3) % 6 + 2, 1.0f));
        AssertSameDistribution(plain, spec);
    }

    private static void AssertSameDistribution(int[][] a, int[][] b) => Assert.True(SameDistribution(a, b, out string why), why);

    private static bool SameDistribution(int[][] a, int[][] b, out string why)
    {
        Assert.All(a.Concat(b), t => Assert.Equal(Tokens, t.Length));
        var checks = new (string Name, Func<int[], int> Bin, int Bins)[]
        {
            ("token 2", t => t[1], Vocab), ("token 3", t => t[2], Vocab), ("token 4", t => t[3], Vocab),
            ("tokens 1,2", t => t[0] * Vocab + t[1], Vocab * Vocab), ("tokens 2,3", t => t[1] * Vocab + t[2], Vocab * Vocab),
        };
        var report = new List<string>();
        bool same = true;
        foreach (var (name, bin, bins) in checks)
        {
            var (stat, df) = ChiSquare(a.Select(bin).ToArray(), b.Select(bin).ToArray(), bins);
            double critical = ChiSquareQuantile999(df);
            report.Add($"{name}: χ²={stat:F1} df={df} crit={critical:F1} TV={TotalVariation(a.Select(bin), b.Select(bin), bins):F3}");
            if (stat > critical) same = false;
        }
        why = string.Join("; ", report);
        return same;
    }

    private static double TotalVariation(IEnumerable<int> a, IEnumerable<int> b, int bins)
    {
        var pa = new double[bins];
        var pb = new double[bins];
        int na = 0, nb = 0;
        foreach (int x in a) { pa[x]++; na++; }
        foreach (int x in b) { pb[x]++; nb++; }
        return 0.5 * Enumerable.Range(0, bins).Sum(i => Math.Abs(pa[i] / na - pb[i] / nb));
    }

    /// <summary>Two-sample chi-square homogeneity statistic over bins with at least 10 draws (the rest pooled).</summary>
    private static (double Stat, int Df) ChiSquare(int[] a, int[] b, int bins)
    {
        var ca = new double[bins];
        var cb = new double[bins];
        foreach (int x in a) ca[x]++;
        foreach (int x in b) cb[x]++;
        var rows = new List<(double A, double B)>();
        double poolA = 0, poolB = 0;
        for (int i = 0; i < bins; i++)
        {
            if (ca[i] + cb[i] >= 10) rows.Add((ca[i], cb[i]));
            else { poolA += ca[i]; poolB += cb[i]; }
        }
        if (poolA + poolB > 0) rows.Add((poolA, poolB));
        double na = a.Length, nb = b.Length, n = na + nb, stat = 0;
        foreach (var (x, y) in rows)
        {
            double total = x + y, ea = total * na / n, eb = total * nb / n;
            stat += (x - ea) * (x - ea) / ea + (y - eb) * (y - eb) / eb;
        }
        return (stat, rows.Count - 1);
    }

    /// <summary>The 0.999 quantile of chi-square with df degrees of freedom (Wilson–Hilferty).</summary>
    private static double ChiSquareQuantile999(int df)
    {
        const double z = 3.0902;
        double h = 2.0 / (9 * df);
        return df * Math.Pow(1 - h + z * Math.Sqrt(h), 3);
    }
}
