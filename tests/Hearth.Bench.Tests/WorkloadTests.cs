using Hearth.Bench.Running;
using Hearth.Bench.Workloads;
using Hearth.Core.Tokenizers;

namespace Hearth.Bench.Tests;

public class WorkloadTests
{
    [Fact]
    public void RandomPromptsHaveTheRequestedWordCountAndAreSeeded()
    {
        var b = new WorkloadBuilder(new WorkloadSpec(32, 16), new PromptFactory(null), seed: 1);
        var w = b.Build(10, seed: 5);
        Assert.Equal(10, w.Requests.Count);
        Assert.All(w.Requests, r => Assert.Equal(32, r.Prompt.Split(' ').Length));
        Assert.All(w.Requests, r => Assert.Equal((32, 16), (r.PromptTokens, r.MaxTokens)));
        Assert.Equal(w.Requests.Select(r => r.Prompt), b.Build(10, 5).Requests.Select(r => r.Prompt));
        Assert.NotEqual(w.Requests[0].Prompt, b.Build(10, 6).Requests[0].Prompt);
        Assert.Contains("approximate", w.Note);
    }

    [Fact]
    public void RangeRatioBoundsLengths()
    {
        var w = new WorkloadBuilder(new WorkloadSpec(100, 50, RangeRatio: 0.5), new PromptFactory(null), 0).Build(200, 3);
        Assert.All(w.Requests, r => Assert.InRange(r.PromptTokens, 50, 150));
        Assert.All(w.Requests, r => Assert.InRange(r.MaxTokens, 25, 75));
        Assert.True(w.Requests.Select(r => r.PromptTokens).Distinct().Count() > 20);
    }

    [Fact]
    public void SharedPrefixStartsEveryPrompt()
    {
        var w = new WorkloadBuilder(new WorkloadSpec(8, 4, PrefixLen: 20), new PromptFactory(null), 9).Build(5, 1);
        var prefix = string.Join(' ', w.Requests[0].Prompt.Split(' ').Take(20));
        Assert.All(w.Requests, r => Assert.StartsWith(prefix + " ", r.Prompt));
        Assert.All(w.Requests, r => Assert.Equal(28, r.PromptTokens));
        Assert.NotEqual(w.Requests[0].Prompt, w.Requests[1].Prompt);
    }

    [Fact]
    public void TokenizerMakesLengthsExact()
    {
        // One token per character: random words never land on the length by themselves, so this exercises cutting.
        var factory = new PromptFactory(new CharTokenizer());
        var rng = new Random(4);
        foreach (var len in new[] { 1, 7, 64, 301 })
        {
            var (text, tokens) = factory.Make(len, rng);
            Assert.Equal(len, tokens);
            Assert.Equal(len, text.Length);
        }
        var w = new WorkloadBuilder(new WorkloadSpec(10, 4, PrefixLen: 5), factory, 0).Build(3, 0);
        Assert.All(w.Requests, r => Assert.Equal(r.Prompt.Length, r.PromptTokens)); // 5 + 1 (space) + 10 = 16, measured
        Assert.All(w.Requests, r => Assert.Equal(16, r.PromptTokens));
        Assert.Contains("exact", w.Note);
    }

    [Fact]
    public void ShareGptTakesFirstHumanTurnAndReplyLength()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharegpt-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            [
              {"id": "a", "conversations": [{"from": "human", "value": "tell me a story"}, {"from": "gpt", "value": "once upon a time there"}]},
              {"id": "b", "conversations": [{"from": "gpt", "value": "model first is skipped"}, {"from": "human", "value": "x"}]},
              {"id": "c", "conversations": [{"from": "human", "value": "only one turn"}]},
              {"id": "d", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
            ]
            """);
        try
        {
            Assert.Equal(2, ShareGptReader.Read(path).Count);
            var w = new WorkloadBuilder(new WorkloadSpec(0, 128, ShareGptPath: path), new PromptFactory(null), 0).Build(6, 2);
            Assert.Equal(6, w.Requests.Count); // cycles over the 2 usable conversations
            Assert.Equal(3, w.Requests.Count(r => r.Prompt == "tell me a story"));
            Assert.All(w.Requests, r => Assert.Equal(r.Prompt == "hi" ? (1, 1) : (4, 5), (r.PromptTokens, r.MaxTokens)));
            var fixedOut = new WorkloadBuilder(new WorkloadSpec(0, 128, ShareGptPath: path, OutputLenOverride: 9), new PromptFactory(null), 0).Build(2, 2);
            Assert.All(fixedOut.Requests, r => Assert.Equal(9, r.MaxTokens));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ShareGptRejectsWrongShapes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharegpt-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, "{\"not\": \"an array\"}");
            Assert.Throws<FormatException>(() => ShareGptReader.Read(path));
            File.WriteAllText(path, "[1, 2");
            Assert.Throws<FormatException>(() => ShareGptReader.Read(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void PoissonArrivalsAreSeededAndHaveTheRequestedMeanRate()
    {
        var a = LevelRunner.PoissonArrivals(4.0, 20_000, seed: 11);
        Assert.Equal(0, a[0]);
        Assert.Equal(a, LevelRunner.PoissonArrivals(4.0, 20_000, seed: 11));
        Assert.NotEqual(a[1], LevelRunner.PoissonArrivals(4.0, 20_000, seed: 12)[1]);
        Assert.True(a.Zip(a.Skip(1)).All(p => p.Second >= p.First));
        double meanGap = a[^1] / (a.Length - 1);
        Assert.InRange(meanGap, 0.25 * 0.97, 0.25 * 1.03);
        // exponential gaps: the standard deviation equals the mean
        var gaps = a.Zip(a.Skip(1), (x, y) => y - x).ToArray();
        double sd = Math.Sqrt(gaps.Select(g => (g - meanGap) * (g - meanGap)).Average());
        Assert.InRange(sd / meanGap, 0.95, 1.05);
    }

    [Fact]
    public void ConfigValidatesUserInput()
    {
        BenchConfig Make(LoadMode mode, double[] levels, int? requests = null, WorkloadSpec? spec = null) =>
            new([new Client.Target("A", new Uri("http://127.0.0.1:1"), "m")], Client.EndpointKind.Chat, mode, levels, requests,
                TimeSpan.FromSeconds(1), spec ?? new WorkloadSpec(8, 8));
        Assert.Null(Make(LoadMode.Concurrency, [1, 4]).Validate());
        Assert.NotNull(Make(LoadMode.Concurrency, [0]).Validate());
        Assert.NotNull(Make(LoadMode.Concurrency, [1.5]).Validate());
        Assert.NotNull(Make(LoadMode.Rate, [-1]).Validate());
        Assert.NotNull(Make(LoadMode.Rate, [1], requests: 0).Validate());
        Assert.NotNull(Make(LoadMode.Rate, [1], spec: new WorkloadSpec(8, 8, RangeRatio: 1)).Validate());
        Assert.NotNull(Make(LoadMode.Rate, [1], spec: new WorkloadSpec(8, 8, ShareGptPath: "/nonexistent.json")).Validate());
        Assert.Equal(80, Make(LoadMode.Concurrency, [16]).RequestsFor(16));
        Assert.Equal(20, Make(LoadMode.Concurrency, [1]).RequestsFor(1));
        Assert.Equal(60, Make(LoadMode.Rate, [2]).RequestsFor(2));
        Assert.Equal([1, 4, 16], Running.BenchApp.ParseLevels("1, 4,16", "--concurrency"));
        Assert.Throws<FormatException>(() => Running.BenchApp.ParseLevels("1,x", "--concurrency"));
    }

    /// <summary>One token per UTF-16 character: enough to check exact-length prompt making.</summary>
    private sealed class CharTokenizer : ITokenizer
    {
        public int VocabSize => 65536;
        public int? BosId => null;
        public int? EosId => null;
        public bool AddBos => false;
        public bool AddEos => false;
        public int[] Encode(string text, bool addSpecial, bool parseSpecial) => text.Select(c => (int)c).ToArray();
        public byte[] TokenBytes(int tokenId, bool renderSpecial = false) => System.Text.Encoding.UTF8.GetBytes(((char)tokenId).ToString());
        public string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false) => new(tokenIds.ToArray().Select(i => (char)i).ToArray());
        public bool IsEndOfGeneration(int tokenId) => false;
        public string TokenText(int tokenId) => ((char)tokenId).ToString();
    }
}

public class RealTokenizerTests
{
    [Theory]
    [InlineData("ggml-vocab-llama-spm.gguf")]
    [InlineData("ggml-vocab-gpt-2.gguf")]
    public void PromptsHaveExactLengthsInARealVocabulary(string file)
    {
        var tokenizer = Hearth.Core.Tokenizers.TokenizerFactory.FromGguf(Path.Combine(Hearth.Tests.TestPaths.Fixtures, "vocab", file));
        var w = new WorkloadBuilder(new WorkloadSpec(50, 8, RangeRatio: 0.5, PrefixLen: 30), new PromptFactory(tokenizer), 1).Build(20, 2);
        foreach (var r in w.Requests)
        {
            // The reported length is the real one, and the random part alone hits the sampled length.
            Assert.Equal(tokenizer.Encode(r.Prompt, addSpecial: false, parseSpecial: false).Length, r.PromptTokens);
            Assert.InRange(r.PromptTokens, 30 + 25 - 2, 30 + 75 + 2);
        }
        var factory = new PromptFactory(tokenizer);
        var rng = new Random(8);
        foreach (var len in new[] { 1, 16, 128, 512 })
            Assert.Equal(len, factory.Make(len, rng).Tokens);
    }
}
