using System.Diagnostics;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Lora;
using Hearth.Engine.Models;

namespace Hearth.Cli.Commands;

/// <summary>Figures of one multi-LoRA benchmark: per round, output tokens/s of N concurrent streams on the bare base
/// model and of N streams spread round-robin over the adapters, run back to back (interleaved rounds, so a busy
/// machine slows both alike), with the median pure-decode step of each.</summary>
internal sealed record LoraBenchmarkRound(double BaseTokensPerSecond, double LoraTokensPerSecond, double BaseStepMs, double LoraStepMs)
{
    public double Ratio => LoraTokensPerSecond / BaseTokensPerSecond;
}

/// <summary>Multi-LoRA serving cost in-process (no HTTP): the same N random prompts (greedy, ignore_eos) as one batch
/// without adapters, then with stream i on adapter i mod A, so the adapters' low-rank updates share every step.</summary>
internal static class LoraBenchmark
{
    public static IReadOnlyList<LoraBenchmarkRound> Run(IForwardModel model, ITokenizer tokenizer, IReadOnlyList<LoraAdapter> adapters,
        OfflineBenchmarkOptions options, int rounds, Action<string>? log = null)
    {
        var engine = new LlmEngine(model, tokenizer, new EngineOptions { MaxNumSeqs = Math.Max(options.Requests, 16), EnablePrefixCaching = false });
        var rng = new Random(options.Seed);
        var vocab = Enumerable.Range(0, model.Shape.VocabSize).Where(t => t >= tokenizer.VocabSize || !tokenizer.IsEndOfGeneration(t)).ToArray();
        var prompts = Enumerable.Range(0, options.Requests)
            .Select(_ => Enumerable.Range(0, options.InputLength).Select(_ => vocab[rng.Next(vocab.Length)]).ToArray()).ToArray();
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = options.OutputLength, IgnoreEos = true };
        var selections = adapters.Select(a => LoraSelection.Of(a)).ToArray();

        // Warm-up of both paths (JIT, scratch buffers).
        Measure(engine, prompts.Take(2).ToArray(), sampling with { MaxTokens = 2 }, _ => null);
        Measure(engine, prompts.Take(2).ToArray(), sampling with { MaxTokens = 2 }, i => selections[i % selections.Length]);
        var results = new List<LoraBenchmarkRound>();
        for (int r = 0; r < rounds; r++)
        {
            var (baseTps, baseStep) = Measure(engine, prompts, sampling, _ => null);
            var (loraTps, loraStep) = Measure(engine, prompts, sampling, i => selections[i % selections.Length]);
            var round = new LoraBenchmarkRound(baseTps, loraTps, baseStep, loraStep);
            log?.Invoke($"round {r + 1}: base {baseTps:F1} tok/s (decode step {baseStep:F1} ms), {adapters.Count} adapters {loraTps:F1} tok/s " +
                $"(decode step {loraStep:F1} ms): {round.Ratio:F3}x");
            results.Add(round);
        }
        return results;
    }

    private static (double TokensPerSecond, double DecodeStepMs) Measure(LlmEngine engine, int[][] prompts, SamplingParams sampling, Func<int, LoraSelection?> lora)
    {
        for (int i = 0; i < prompts.Length; i++) engine.AddRequest(new GenerationRequest("bench", prompts[i], sampling) { Lora = lora(i) });
        var steps = new List<double>();
        var total = Stopwatch.StartNew();
        var sw = new Stopwatch();
        while (engine.HasUnfinishedRequests)
        {
            sw.Restart();
            foreach (var o in engine.Step().Outputs)
                if (o.Delta.Finish == FinishReason.Error) throw new InvalidOperationException("benchmark request failed: " + o.Delta.Error);
            if (engine.LastStepSequences == prompts.Length && engine.LastStepTokens == prompts.Length) steps.Add(sw.Elapsed.TotalMilliseconds);
        }
        steps.Sort();
        return (prompts.Length * sampling.MaxTokens / total.Elapsed.TotalSeconds, steps.Count == 0 ? double.NaN : steps[steps.Count / 2]);
    }
}
