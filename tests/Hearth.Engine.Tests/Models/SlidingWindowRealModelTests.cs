using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Models;

/// <summary>Gemma 2 and Gemma 3 (window 8 on their tiny presets) through the engine, whose sliding layers keep only the
/// window's KV blocks: greedy ids equal llama.cpp's (the committed fixtures, up to the first near tie), and runs far past
/// the window — chunked prefill, a shared prefix, forked choices, a pool small enough to preempt — give exactly the
/// tokens of a cache that keeps every block.</summary>
public sealed class SlidingWindowRealModelTests : IDisposable
{
    private const float MinMargin = 2e-3f;
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-swa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("tiny-gemma3-f16.json")]
    [InlineData("tiny-gemma2-f16.json")]
    public void FreedWindowBlocksMatchLlamaCppAndTheKeptCache(string fixture)
    {
        var (doc, path) = ArchitectureReferenceTests.Build(fixture, _dir);
        using var gguf = GgufFile.Open(path);
        using var backend = new CpuBackend(1);
        using var model = Hearth.Engine.Models.DecoderModel.Load(gguf, backend);
        var tokenizer = TokenizerFactory.FromGguf(gguf);
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToArray();
        var prompts = cases.Select(c => ArchitectureReferenceTests.Ints(c.GetProperty("prompt_ids"))).ToArray();

        // llama.cpp: each prompt in one batch, then 16 greedy steps.
        var engine = Untimed(model, tokenizer, new EngineOptions { NumKvBlocks = 64, BlockSize = 4, MaxNumBatchedTokens = 64 });
        Assert.Equal([0, 8], engine.Blocks.Pools.Select(p => p.SlidingWindow));
        var keys = prompts.Select((p, i) => engine.AddRequest(Request(p, Greedy(16), $"c{i}"))).ToArray();
        var results = RunAll(engine);
        int compared = 0;
        for (int i = 0; i < cases.Length; i++)
        {
            int[] greedy = ArchitectureReferenceTests.Ints(cases[i].GetProperty("greedy_ids"));
            var margins = cases[i].GetProperty("top2_margin_per_step").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            for (int step = 0; step < greedy.Length && margins[step] >= MinMargin; step++, compared++)
                Assert.True(greedy[step] == results[keys[i]][0].Tokens[step], $"{fixture} case {i} step {step}");
        }
        Assert.True(compared >= 32, $"only {compared} steps before near ties");

        // Far past the window, with and without the freeing: the same tokens.
        var kept = Long(model, tokenizer, prompts, free: false, out _, out var keptStats);
        var freed = Long(model, tokenizer, prompts, free: true, out int peakSliding, out var stats);
        Assert.Equal(kept, freed);
        Assert.True(stats.PreemptionsTotal > 0, "the pool should have been small enough to preempt");
        Assert.True(stats.PrefixCacheHits > 0, "the shared prompt should have hit the prefix cache");
        // The schedules need not be the same: a sequence recomputed after preemption may find a shorter hit when the
        // window's oldest block (which it had already released) was reused meanwhile; it then recomputes more.
        Assert.True(stats.PrefixCacheHits <= keptStats.PrefixCacheHits);
        // A sequence holds at most ⌈(8 − 1 + 16) / 4⌉ + 1 = 7 sliding blocks; the full group grows with the context.
        Assert.True(peakSliding <= 7 * (prompts.Length + 2), $"{peakSliding} sliding blocks at the peak");
    }

    private static List<List<int>> Long(Hearth.Engine.Models.DecoderModel model, ITokenizer tokenizer, int[][] prompts, bool free,
        out int peakSliding, out EngineStats stats)
    {
        var engine = Untimed(model, tokenizer, new EngineOptions
        {
            NumKvBlocks = 40, BlockSize = 4, MaxNumBatchedTokens = 16, FreeSlidingWindowBlocks = free,
        });
        var requests = prompts.Select((p, i) => Request(p, Greedy(60), $"g{i}")).ToList();
        requests.Add(Request([.. prompts[1], .. prompts[2][1..]], Greedy(40), "prefix")); // shares prompt 1's blocks
        requests.Add(Request(prompts[3], new SamplingParams { Temperature = 0.8f, Seed = 3, N = 2, MaxTokens = 40, IgnoreEos = true }, "forks"));
        var keys = requests.Select(engine.AddRequest).ToArray();
        int peak = 0;
        var results = RunAll(engine, _ => peak = Math.Max(peak, engine.Blocks.Pools.Skip(1).Sum(p => p.UsedBlocks)));
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
        peakSliding = peak;
        stats = engine.GetStats();
        return keys.SelectMany(k => results[k].OrderBy(c => c.Key).Select(c => c.Value.Tokens)).ToList();
    }
}
