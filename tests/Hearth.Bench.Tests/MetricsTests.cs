using Hearth.Bench.Metrics;

namespace Hearth.Bench.Tests;

public class DistributionTests
{
    [Theory]
    // numpy.percentile([1, 2, 3, 4], p) with its default linear interpolation
    [InlineData(0, 1.0)]
    [InlineData(50, 2.5)]
    [InlineData(90, 3.7)]
    [InlineData(99, 3.97)]
    [InlineData(100, 4.0)]
    [InlineData(25, 1.75)]
    public void PercentileInterpolatesLinearlyBetweenClosestRanks(double p, double expected) =>
        Assert.Equal(expected, Distribution.Percentile([1, 2, 3, 4], p), 12);

    [Fact]
    public void FromSecondsSortsConvertsToMillisecondsAndUsesPopulationStd()
    {
        var d = Distribution.FromSeconds([0.004, 0.001, 0.003, 0.002, 0.010]);
        Assert.Equal(5, d.Count);
        Assert.Equal(4.0, d.Mean, 9);
        Assert.Equal(3.0, d.Median, 9);
        // 90th: rank 3.6 between 4 and 10 -> 4 + 0.6 * 6 = 7.6; 99th: rank 3.96 -> 4 + 0.96 * 6 = 9.76
        Assert.Equal(7.6, d.P90, 9);
        Assert.Equal(9.76, d.P99, 9);
        Assert.Equal(10.0, d.Max, 9);
        // population std of 1,2,3,4,10: sqrt((9+4+1+0+36)/5) = sqrt(10)
        Assert.Equal(Math.Sqrt(10), d.Std, 9);
    }

    [Fact]
    public void SingleValueAndEmptySamples()
    {
        var one = Distribution.FromSeconds([0.25]);
        Assert.Equal((250.0, 250.0, 250.0, 0.0), (one.Median, one.P90, one.P99, one.Std));
        Assert.Equal(Distribution.Empty, Distribution.FromSeconds([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Distribution.Percentile([1.0], 101));
    }
}

public class MetricsCalculatorTests
{
    // r1: 3 content chunks, no usage -> 3 tokens, TTFT 100 ms, TPOT (160-100)/2 = 30 ms, ITLs 20 and 30 ms.
    // r2: 1 chunk, usage says 1 -> no TPOT sample (first token only), TTFT 200 ms.
    // r3: failed.
    // r4: 2 chunks but usage says 5 (chunks bundle tokens) -> TPOT (80-50)/4 = 7.5 ms, ITL 10 ms.
    private static readonly RequestTimeline[] Timelines =
    [
        new(0.0, true, null, [0.100, 0.120, 0.150], 0.160, 10, null),
        new(0.1, true, null, [0.200], 0.250, 20, 1),
        RequestTimeline.Failed(0.2, "HTTP 500: boom", 0.01, 40),
        new(0.3, true, null, [0.050, 0.060], 0.080, 30, 5),
        RequestTimeline.Failed(0.4, "HTTP 500: boom", 0.01, 40),
    ];

    [Fact]
    public void CountsThroughputsAndLatenciesAreExact()
    {
        var m = MetricsCalculator.Compute(Timelines, durationS: 2.0, slo: null, incomplete: 1);
        Assert.Equal((3, 2, 1), (m.Completed, m.Failed, m.Incomplete));
        Assert.Equal(60, m.TotalInputTokens);   // failed requests' prompts are not counted
        Assert.Equal(9, m.TotalOutputTokens);   // 3 counted + 1 usage + 5 usage
        Assert.Equal(1.5, m.RequestThroughput, 12);
        Assert.Equal(4.5, m.OutputThroughput, 12);
        Assert.Equal(34.5, m.TotalTokenThroughput, 12);
        Assert.Null(m.Goodput);
        Assert.Null(m.GoodRequests);

        Assert.Equal(3, m.Ttft.Count);
        Assert.Equal((100 + 200 + 50) / 3.0, m.Ttft.Mean, 9);
        Assert.Equal(100, m.Ttft.Median, 9);

        Assert.Equal(2, m.Tpot.Count);          // the one-token request has no TPOT
        Assert.Equal((30 + 7.5) / 2, m.Tpot.Mean, 9);
        Assert.Equal(30, m.Tpot.Max, 9);

        Assert.Equal(3, m.Itl.Count);           // 2 gaps from r1, 1 from r4, none from r2
        Assert.Equal(20, m.Itl.Median, 9);
        Assert.Equal(20, m.Itl.Mean, 9);

        Assert.Equal(160, m.E2el.Median, 9);
        Assert.Equal(250, m.E2el.Max, 9);
        Assert.Equal(["HTTP 500: boom"], m.Errors);
    }

    [Fact]
    public void GoodputNeedsEveryObjective()
    {
        // ttft<=150 and tpot<=20: r1 fails on TPOT (30), r2 on TTFT (200), r4 passes.
        var m = MetricsCalculator.Compute(Timelines, 2.0, new Slo(150, 20, null));
        Assert.Equal(1, m.GoodRequests);
        Assert.Equal(0.5, m.Goodput!.Value, 12);
        // tpot<=10 alone: r2 counts as TPOT 0 (one token) and passes, r4 passes, r1 fails.
        Assert.Equal(2, MetricsCalculator.Compute(Timelines, 2.0, new Slo(null, 10, null)).GoodRequests);
        // e2el<=160 ms: r1 (exactly 160, inclusive) and r4 pass.
        Assert.Equal(2, MetricsCalculator.Compute(Timelines, 2.0, new Slo(null, null, 160)).GoodRequests);
    }

    [Fact]
    public void AllFailedGivesZeroDistributions()
    {
        var m = MetricsCalculator.Compute([RequestTimeline.Failed(0, "x", 0.1, 5)], 1.0, new Slo(100, null, null));
        Assert.Equal((0, 1, 0), (m.Completed, m.Failed, m.GoodRequests));
        Assert.Equal(Distribution.Empty, m.Ttft);
        Assert.Equal(0, m.OutputThroughput);
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricsCalculator.Compute([], 0, null));
    }
}

public class SloTests
{
    [Fact]
    public void ParsesAnySubsetInAnyOrder()
    {
        Assert.Equal(new Slo(500, 50, null), Slo.Parse("ttft=500,tpot=50"));
        Assert.Equal(new Slo(null, 12.5, 3000), Slo.Parse(" e2el=3000 , TPOT=12.5"));
        Assert.Equal("ttft=500,tpot=50", Slo.Parse("tpot=50,ttft=500").ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("ttft")]
    [InlineData("ttft=abc")]
    [InlineData("ttft=-5")]
    [InlineData("latency=5")]
    public void RejectsMalformedInput(string text) => Assert.Throws<FormatException>(() => Slo.Parse(text));
}
