using System.Diagnostics;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Engine.Speculative;

namespace Hearth.Cli.Commands;

/// <summary>One speculative-decoding configuration to measure (a label and the engine options it runs with).</summary>
internal sealed record SpeculativeMode(string Label, EngineOptions Options);

/// <summary>The figures of one mode over every round.</summary>
/// <param name="DecodeTokensPerCpuSecond">The same tokens over the process's CPU time in that span (user + system, every
/// thread): on a machine shared with other work, wall time counts the waits for a core and CPU time does not, so this
/// is the steadier figure of the work done (with --threads 1 no thread spins waiting for another).</param>
internal sealed record SpeculativeModeResult(string Label, double[] DecodeTokensPerSecond, double[] DecodeTokensPerCpuSecond, SpeculativeDecodingStats? Stats, bool SameTokensAsFirst)
{
    public double Median => MedianOf(DecodeTokensPerSecond);
    public double CpuMedian => MedianOf(DecodeTokensPerCpuSecond);

    private static double MedianOf(double[] values) => values.Order().ElementAt(values.Length / 2);
}

/// <summary>Single-stream decode speed with and without speculation, interleaved: each round runs every mode once on
/// the same prompt (greedy, ignore_eos), so a shared, noisy machine slows all modes alike and the ratios hold. Decode
/// tokens/s is (output tokens − 1) over the time from the first output token to the last (the prompt's prefill is
/// left out), per wall-clock second and per CPU second of the process. Each run gets a fresh engine (the model's KV cache is reallocated outside the timed part); the draft
/// model, when a mode needs one, is a separate model object with its own KV cache.</summary>
internal static class SpeculativeBenchmark
{
    public static List<SpeculativeModeResult> Run(IForwardModel model, ITokenizer tokenizer, IForwardModel? draft,
        IReadOnlyList<SpeculativeMode> modes, int[] prompt, int maxTokens, int rounds, int warmup, Action<string>? log = null)
    {
        var speeds = modes.Select(_ => new List<double>()).ToArray();
        var cpuSpeeds = modes.Select(_ => new List<double>()).ToArray();
        var stats = new SpeculativeDecodingStats?[modes.Count];
        var tokens = new List<int>?[modes.Count];
        var same = Enumerable.Repeat(true, modes.Count).ToArray();
        // Warm-up: JIT (tiered compilation settles over the first runs) and buffers, for every mode.
        for (int i = 0; i < warmup; i++)
            foreach (var mode in modes) RunOnce(model, tokenizer, draft, mode.Options, prompt, maxTokens);
        for (int round = 0; round < rounds; round++)
        {
            for (int m = 0; m < modes.Count; m++)
            {
                var (tps, cpuTps, output, s) = RunOnce(model, tokenizer, draft, modes[m].Options, prompt, maxTokens);
                speeds[m].Add(tps);
                cpuSpeeds[m].Add(cpuTps);
                stats[m] = s;
                tokens[m] ??= output;
                if (tokens[0] is { } first && !first.SequenceEqual(output)) same[m] = false;
                log?.Invoke($"round {round + 1} {modes[m].Label}: {tps:F1} tok/s{(s is null ? "" : $", acceptance {s.AcceptanceRate:P0}, mean accepted length {s.MeanAcceptedLength:F2}")}");
            }
        }
        return modes.Select((mode, m) => new SpeculativeModeResult(mode.Label, [.. speeds[m]], [.. cpuSpeeds[m]], stats[m], same[m])).ToList();
    }

    private static (double TokensPerSecond, double TokensPerCpuSecond, List<int> Tokens, SpeculativeDecodingStats? Stats) RunOnce(IForwardModel model,
        ITokenizer tokenizer, IForwardModel? draft, EngineOptions options, int[] prompt, int maxTokens)
    {
        var engine = new LlmEngine(model, tokenizer, options, options.SpeculativeMethod == SpeculativeMethod.Draft ? draft : null);
        engine.AddRequest(new GenerationRequest("bench", prompt, new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true }));
        var output = new List<int>();
        var sw = new Stopwatch();
        TimeSpan cpuStart = default;
        while (engine.HasUnfinishedRequests)
        {
            foreach (var o in engine.Step().Outputs)
            {
                if (output.Count == 0 && o.Delta.TokenIds.Count > 0)
                {
                    sw.Start();
                    cpuStart = Environment.CpuUsage.TotalTime;
                }
                output.AddRange(o.Delta.TokenIds);
                if (o.Delta.Error is { } e) throw new InvalidOperationException("generation failed: " + e);
            }
        }
        sw.Stop();
        double cpu = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds;
        double tps = output.Count > 1 ? (output.Count - 1) / sw.Elapsed.TotalSeconds : 0;
        double cpuTps = output.Count > 1 && cpu > 0 ? (output.Count - 1) / cpu : 0;
        return (tps, cpuTps, output, engine.GetStats().Speculative);
    }
}
