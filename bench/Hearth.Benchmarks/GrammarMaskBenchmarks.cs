using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Hearth.Core.Tokenizers;
using Hearth.Engine.Structured;

namespace Hearth.Benchmarks;

/// <summary>One grammar mask over the Llama 3 vocabulary (128,256 tokens, ../shared/vocab/ggml-vocab-llama-bpe.gguf)
/// under a typical JSON schema, at each step of a document the real tokenizer split into tokens: the walk alone
/// (no mask cache: every step as a first visit) and the engine's path (cache by parser state, warm).
/// BenchmarkDotNet: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*GrammarMask*' --job short
/// p50/p99 over the steps of the document: dotnet run -c Release --project bench/Hearth.Benchmarks -- mask-trace</summary>
[MemoryDiagnoser]
public class GrammarMaskBenchmarks
{
    public const string Schema = """
        {"type":"object","properties":{
          "name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":150},
          "email":{"type":"string","format":"email"},"tags":{"type":"array","items":{"type":"string"},"maxItems":8},
          "address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["street","city"]},
          "active":{"type":"boolean"}},
         "required":["name","age","email","address","active"],"additionalProperties":false}
        """;

    public const string Document = """{"name": "Ada Lovelace, Countess of Lovelace", "age": 36, "email": "ada@analytical.engine.org", "tags": ["math", "poetry", "engines"], "address": {"street": "12 St James's Square", "city": "London", "zip": "10001"}, "active": true}""";

    private GrammarMatcher[] _states = [];
    private ulong[] _mask = [];

    /// <summary>Which step of the document: 1 = inside the first string value; the rest spread over the document.</summary>
    [Params(0, 5, 12, 30)]
    public int Step { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (trie, grammar, tokens) = Load();
        _states = StatesAlong(grammar, trie, tokens);
        _mask = new ulong[(trie.VocabSize + 63) / 64];
    }

    [Benchmark]
    public void MaskUncached() => _states[Math.Min(Step, _states.Length - 1)].FillMaskUncached(_mask);

    [Benchmark]
    public void MaskCached() => _states[Math.Min(Step, _states.Length - 1)].FillMask(_mask);

    internal static (TokenTrie Trie, Grammar Grammar, int[] Tokens) Load()
    {
        var tokenizer = TokenizerFactory.FromGguf(BenchPaths.Vocab("llama-bpe"));
        var trie = TokenTrie.For(tokenizer, tokenizer.VocabSize);
        var grammar = GrammarCache.Get(OutputConstraint.Schema(Schema));
        return (trie, grammar, tokenizer.Encode(Document, addSpecial: false, parseSpecial: false));
    }

    /// <summary>A matcher at every step of the document (state k has taken the first k tokens).</summary>
    internal static GrammarMatcher[] StatesAlong(Grammar grammar, TokenTrie trie, int[] tokens)
    {
        var states = new GrammarMatcher[tokens.Length + 1];
        for (int k = 0; k <= tokens.Length; k++)
        {
            var m = new GrammarMatcher(grammar, trie);
            for (int i = 0; i < k; i++)
                if (!m.TryAccept(tokens[i])) throw new InvalidOperationException($"the document's token {i} is not allowed by the schema");
            states[k] = m;
        }
        return states;
    }
}

/// <summary>p50/p99 of one mask across every step of the benchmark document (20 rounds, one core). Times are the
/// thread's CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID)) on Linux, so a machine shared with other work does not
/// inflate them (the wall clock is used elsewhere). MASK_TRACE_STEPS=1 also prints each step's median and max walk time
/// (after the warm-up rounds) and allowed-token count.</summary>
internal static class MaskTrace
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>Microseconds now: thread CPU time on Linux, else the Stopwatch.</summary>
    private static double NowMicroseconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuClock, out var t) == 0
            ? t.Seconds * 1e6 + t.Nanoseconds / 1e3
            : Stopwatch.GetTimestamp() * 1e6 / Stopwatch.Frequency;

    public static void Run()
    {
        var (trie, grammar, tokens) = GrammarMaskBenchmarks.Load();
        var states = GrammarMaskBenchmarks.StatesAlong(grammar, trie, tokens);
        var mask = new ulong[(trie.VocabSize + 63) / 64];
        Console.WriteLine($"vocabulary {trie.VocabSize} tokens, trie {trie.NodeCount} nodes; document {tokens.Length} tokens");
        foreach (bool cached in (bool[])[false, true])
        {
            var times = new List<double>();
            var perStep = states.Select(_ => new List<double>()).ToArray();
            for (int round = 0; round < 20; round++)
                for (int k = 0; k < states.Length; k++)
                {
                    double t0 = NowMicroseconds();
                    if (cached) states[k].FillMask(mask); else states[k].FillMaskUncached(mask);
                    double us = NowMicroseconds() - t0;
                    if (round < 2) continue; // warm-up (JIT, caches)
                    times.Add(us);
                    perStep[k].Add(us);
                }
            if (!cached && Environment.GetEnvironmentVariable("MASK_TRACE_STEPS") is not null)
                for (int k = 0; k < states.Length; k++)
                {
                    states[k].FillMaskUncached(mask);
                    int allowed = mask.Sum(w => System.Numerics.BitOperations.PopCount(w));
                    perStep[k].Sort();
                    Console.WriteLine($"step {k,3}  median {perStep[k][perStep[k].Count / 2],9:F1} µs  max {perStep[k][^1],9:F1} µs  allowed {allowed,6}");
                }
            times.Sort();
            Console.WriteLine($"{(cached ? "engine path (cache warm)" : "walk only (no cache)     ")}: p50 {times[times.Count / 2],9:F1} µs  p99 {times[(int)(times.Count * 0.99)],9:F1} µs  max {times[^1],9:F1} µs  ({times.Count} masks)");
        }
    }
}
