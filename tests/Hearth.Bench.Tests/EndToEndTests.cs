using System.Diagnostics;
using System.Text.Json;
using Hearth.Bench.Client;
using Hearth.Bench.Metrics;
using Hearth.Bench.Reports;
using Hearth.Bench.Running;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Tests;

/// <summary>Runs the real client, runner and reports against the scripted fake server: first token 50 ms after
/// the request, then one every 10 ms.</summary>
public class EndToEndTests
{
    private static BenchConfig Config(FakeOpenAiServer server, LoadMode mode, double[] levels, int requests, int outputLen,
        double durationS = 20, int warmup = 0, Slo? slo = null, FakeOpenAiServer? compare = null, EndpointKind endpoint = EndpointKind.Chat)
    {
        var targets = new List<Target> { new("A", server.BaseUrl, "fake-a") };
        if (compare is not null) targets.Add(new Target("B", compare.BaseUrl, "fake-b"));
        return new BenchConfig(targets, endpoint, mode, levels, requests, TimeSpan.FromSeconds(durationS),
            new WorkloadSpec(16, outputLen), IgnoreEos: true, Slo: slo, Seed: 3, Warmup: warmup);
    }

    private static Task<BenchReport> Run(BenchConfig config) =>
        BenchRunner.RunAsync(config, new WorkloadBuilder(config.Workload, new PromptFactory(null), config.Seed), new NullObserver(), CancellationToken.None);

    private sealed class NullObserver : IBenchObserver;

    [Fact]
    public async Task ModelsAreSentRoundRobin()
    {
        await using var server = await new FakeOpenAiServer().StartAsync();
        var config = Config(server, LoadMode.Concurrency, [4], requests: 12, outputLen: 2);
        config = config with { Targets = [config.Targets[0] with { Models = ["ada", "b", "c"] }] };
        await Run(config);
        var sent = server.Bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("model").GetString()).ToList();
        Assert.Equal(12, sent.Count);
        Assert.All(new[] { "ada", "b", "c" }, m => Assert.Equal(4, sent.Count(s => s == m)));
    }

    [Fact]
    public async Task ConcurrencySweepMeasuresTheScriptedTimings()
    {
        await using var server = await new FakeOpenAiServer().StartAsync();
        var report = await Run(Config(server, LoadMode.Concurrency, [1, 4], requests: 8, outputLen: 5, warmup: 1));

        Assert.Equal(1 + 8 + 8, server.Received);
        var levels = report.Targets[0].Levels;
        Assert.Equal([1.0, 4.0], levels.Select(l => l.Plan.Value));
        foreach (var level in levels)
        {
            var m = level.Metrics;
            Assert.Equal((8, 0, 0), (m.Completed, m.Failed, m.Incomplete));
            Assert.Equal(40, m.TotalOutputTokens);
            Assert.Equal(8 * 17, m.TotalInputTokens);   // the server's usage.prompt_tokens wins over the estimate
            Assert.Equal(8 * 4, m.Itl.Count);           // the empty role chunk is not a token
            Assert.Equal(8, m.Tpot.Count);
            foreach (var r in level.Requests)
            {
                Assert.Equal(5, r.ChunkTimes.Count);
                Assert.InRange(r.Ttft, 0.049, 1.5);     // scheduled at 50 ms
                Assert.InRange(r.EndTime, 0.089, 2.5);  // last chunk scheduled at 90 ms
                Assert.Equal(5, r.UsageCompletionTokens);
            }
            // the last chunk is due 40 ms after the first; TPOT divides E2EL - TTFT over 4 gaps
            Assert.InRange(m.Itl.Mean, 0, 300);
            Assert.InRange(m.E2el.Median, 89, 2500);
        }
        // 8 requests of >= 90 ms one at a time take >= 0.72 s, never two in flight; four at a time keep four in flight.
        // (In flight, not wall time: a loaded machine once stretched the four-at-a-time level past the other's 0.72 s.)
        Assert.True(levels[0].Metrics.DurationS >= 0.72);
        Assert.Equal(1, MostInFlight(levels[0].Requests));
        Assert.Equal(4, MostInFlight(levels[1].Requests));

        var body = JsonDocument.Parse(server.Bodies[^1]).RootElement;
        Assert.Equal("fake-a", body.GetProperty("model").GetString());
        Assert.Equal(5, body.GetProperty("max_tokens").GetInt32());
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.True(body.GetProperty("ignore_eos").GetBoolean());
        Assert.Equal(16, body.GetProperty("messages")[0].GetProperty("content").GetString()!.Split(' ').Length);
    }

    /// <summary>The most requests in flight at once: at each send, the requests sent earlier and not yet ended.</summary>
    private static int MostInFlight(IReadOnlyList<RequestTimeline> requests) =>
        requests.Max(r => requests.Count(o => o.SendOffset <= r.SendOffset && r.SendOffset < o.SendOffset + o.EndTime));

    [Fact]
    public async Task ServerErrorsAreCountedAsFailures()
    {
        await using var server = await new FakeOpenAiServer { FailEvery = 3 }.StartAsync();
        var report = await Run(Config(server, LoadMode.Concurrency, [3], requests: 9, outputLen: 3));
        var m = report.Targets[0].Levels[0].Metrics;
        Assert.Equal((6, 3), (m.Completed, m.Failed));
        Assert.Equal(18, m.TotalOutputTokens);
        Assert.StartsWith("HTTP 500: ", Assert.Single(m.Errors));
        Assert.Contains("scripted failure", m.Errors[0]);
    }

    [Fact]
    public async Task OutputTokensComeFromUsageWhenGivenElseFromChunks()
    {
        // Two tokens per chunk with usage: 3 chunks, 6 tokens; TPOT divides by 5, ITL has 2 gaps per request.
        await using (var bundled = await new FakeOpenAiServer { TokensPerChunk = 2 }.StartAsync())
        {
            var level = (await Run(Config(bundled, LoadMode.Concurrency, [2], requests: 4, outputLen: 6))).Targets[0].Levels[0];
            Assert.Equal(24, level.Metrics.TotalOutputTokens);
            Assert.Equal(8, level.Metrics.Itl.Count);
            foreach (var r in level.Requests)
                Assert.Equal((3, 6), (r.ChunkTimes.Count, r.OutputTokens));
            var expected = level.Requests.Select(r => (r.EndTime - r.Ttft) / 5 * 1000).Average();
            Assert.Equal(expected, level.Metrics.Tpot.Mean, 9);
        }
        // Without usage the chunks are counted, and the prompt length is the workload's own.
        await using var plain = await new FakeOpenAiServer { SendUsage = false }.StartAsync();
        var m = (await Run(Config(plain, LoadMode.Concurrency, [2], requests: 4, outputLen: 6, endpoint: EndpointKind.Completions))).Targets[0].Levels[0].Metrics;
        Assert.Equal(24, m.TotalOutputTokens);
        Assert.Equal(4 * 16, m.TotalInputTokens);
        Assert.Contains("\"prompt\"", plain.Bodies[0]);
    }

    [Fact]
    public async Task DurationBoundsALevelAndCutsOffRunningRequests()
    {
        // Each request would take 50 ms + 999 x 100 ms; the level must end at its 0.6 s deadline.
        await using var server = await new FakeOpenAiServer { TokenEveryMs = 100 }.StartAsync();
        var sw = Stopwatch.StartNew();
        var report = await Run(Config(server, LoadMode.Concurrency, [2], requests: 100, outputLen: 1000, durationS: 0.6));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        var m = report.Targets[0].Levels[0].Metrics;
        Assert.Equal((0, 0, 2), (m.Completed, m.Failed, m.Incomplete));
        Assert.InRange(m.DurationS, 0.55, 4);
        Assert.Equal(2, server.Received);
    }

    [Fact]
    public async Task RateModeSendsOnTheSeededPoissonSchedule()
    {
        await using var server = await new FakeOpenAiServer { FirstTokenMs = 5, TokenEveryMs = 1 }.StartAsync();
        var report = await Run(Config(server, LoadMode.Rate, [40], requests: 10, outputLen: 2));
        var level = report.Targets[0].Levels[0];
        Assert.Equal(10, level.Metrics.Completed);
        var arrivals = LevelRunner.PoissonArrivals(40, 10, level.Plan.Seed);
        var sends = level.Requests.Select(r => r.SendOffset).ToArray(); // sorted by send time
        for (int i = 0; i < 10; i++)
            Assert.InRange(sends[i], arrivals[i] - 0.002, arrivals[i] + 1.0);
    }

    [Fact]
    public async Task ComparisonWritesJsonAndHtmlWithBothServersAndRatios()
    {
        await using var a = await new FakeOpenAiServer().StartAsync();
        await using var b = await new FakeOpenAiServer { FirstTokenMs = 150, TokenEveryMs = 40 }.StartAsync();
        var dir = Path.Combine(Path.GetTempPath(), $"hearth-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var json = Path.Combine(dir, "out.json");
            var html = Path.Combine(dir, "out.html");
            var output = new StringWriter();
            var config = Config(a, LoadMode.Concurrency, [1, 2], requests: 4, outputLen: 4, slo: new Slo(5000, null, null), compare: b);
            int code = await BenchApp.RunAsync(config, null, json, html, output, new StringWriter(), interactive: false, CancellationToken.None);
            Assert.Equal(0, code);

            var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            var targets = root.GetProperty("targets");
            Assert.Equal(2, targets.GetArrayLength());
            foreach (var t in targets.EnumerateArray())
            {
                var lv = t.GetProperty("levels");
                Assert.Equal([1.0, 2.0], lv.EnumerateArray().Select(l => l.GetProperty("level").GetDouble()));
                Assert.All(lv.EnumerateArray(), l => Assert.Equal(4, l.GetProperty("completed").GetInt32()));
                Assert.All(lv.EnumerateArray(), l => Assert.Equal(4, l.GetProperty("good_requests").GetInt32()));
                Assert.All(lv.EnumerateArray(), l => Assert.Equal(4, l.GetProperty("requests").GetArrayLength()));
                Assert.All(lv.EnumerateArray(), l => Assert.True(l.GetProperty("itl_ms").GetProperty("p99").GetDouble() > 0));
            }
            var ratios = root.GetProperty("ratios");
            Assert.Equal(2, ratios.GetArrayLength());
            // Each ratio is A's figure over B's at the same level (checked exactly rather than by direction: on a
            // loaded 2-core CI machine a stall can make the nominally faster fake slower for a whole level).
            var levelsA = targets[0].GetProperty("levels");
            var levelsB = targets[1].GetProperty("levels");
            for (int i = 0; i < 2; i++)
            {
                double expected = levelsA[i].GetProperty("output_throughput").GetDouble() / levelsB[i].GetProperty("output_throughput").GetDouble();
                Assert.Equal(expected, ratios[i].GetProperty("output_throughput").GetDouble(), 9);
            }

            var page = File.ReadAllText(html);
            Assert.Contains("<svg", page);
            Assert.Contains("P99 time to first token", page);
            Assert.Contains("Ratio A ÷ B", page);
            Assert.Contains("fake-b", page);
            Assert.DoesNotContain("<script", page);
            Assert.DoesNotContain("http://", page.Replace(a.BaseUrl.ToString(), "").Replace(b.BaseUrl.ToString(), "").Replace("http://www.w3.org/2000/svg", ""));

            var text = output.ToString();
            Assert.Contains("Summary", text);
            Assert.Contains("Ratio A ÷ B", text);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task OnATerminalLevelsRunLiveAndTablesAreDrawnWithTheSameCells()
    {
        await using var a = await new FakeOpenAiServer().StartAsync();
        await using var b = await new FakeOpenAiServer().StartAsync();
        var output = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(output), Ansi = Spectre.Console.AnsiSupport.Yes,
            Interactive = Spectre.Console.InteractionSupport.Yes, ColorSystem = Spectre.Console.ColorSystemSupport.Standard,
        });
        console.Profile.Width = 200;
        var config = Config(a, LoadMode.Concurrency, [1, 2], requests: 4, outputLen: 4, compare: b);
        int code = await BenchApp.RunAsync(config, null, null, null, output, new StringWriter(), interactive: true, CancellationToken.None, console);
        Assert.Equal(0, code);
        var text = System.Text.RegularExpressions.Regex.Replace(output.ToString(), "\u001b\\[[0-9;?]*[A-Za-z]", "");
        Assert.Matches(@"\[A\] c=1: [0-4]/4 done, 0 failed, [01] in flight ━+ +[0-9]+% 00:00:[0-9]{2}", text); // a live row
        // Four level details, the summary and the ratio table, each a bordered table.
        Assert.Equal(6, text.Split('\n').Count(l => l.StartsWith('╭')));
        var summaryRows = text.Split('\n').Where(l => l.StartsWith("│ A ") || l.StartsWith("│ B ")).ToList();
        Assert.Equal(4, summaryRows.Count); // A and B at levels 1 and 2
        Assert.All(summaryRows, r => Assert.Matches(@"^│ [AB]\s+│\s+[12] │\s+4 │\s+0 │", r));
        Assert.Contains("Ratio A ÷ B", text);
    }

    [Fact]
    public async Task FailedWarmupSkipsTheServerAndExitsWithOne()
    {
        await using var server = await new FakeOpenAiServer { FailEvery = 1 }.StartAsync();
        var err = new StringWriter();
        var output = new StringWriter();
        int code = await BenchApp.RunAsync(Config(server, LoadMode.Concurrency, [1], 4, 2, warmup: 1), null, null, null, output, err, false, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Equal(1, server.Received);
        Assert.Contains("warm-up failed", output.ToString());
    }

    [Fact]
    public async Task UnreachableServerIsAFailureNotACrash()
    {
        // Port 1 on loopback refuses connections.
        var config = new BenchConfig([new Target("A", new Uri("http://127.0.0.1:1"), "m")], EndpointKind.Chat, LoadMode.Concurrency,
            [2], 3, TimeSpan.FromSeconds(10), new WorkloadSpec(4, 4), Warmup: 0);
        var m = (await Run(config)).Targets[0].Levels[0].Metrics;
        Assert.Equal((0, 3), (m.Completed, m.Failed));
        Assert.Contains("HttpRequestException", m.Errors[0]);
    }
}
