using System.Diagnostics;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;

namespace Hearth.Cli.Commands;

/// <summary>Shape of an offline (in-process, no HTTP) engine benchmark.</summary>
internal sealed record OfflineBenchmarkOptions
{
    public int Requests { get; init; } = 16;
    public int InputLength { get; init; } = 128;
    public int OutputLength { get; init; } = 64;
    /// <summary>Length of the shared prefix in the time-to-first-token test.</summary>
    public int PrefixLength { get; init; } = 1000;
    public int Seed { get; init; } = 1;
    /// <summary>Rounds of the decode-step comparison (one sequence, then all of them, per round).</summary>
    public int StepRounds { get; init; } = 3;
    /// <summary>Pure decode steps timed per side and round.</summary>
    public int StepsPerRound { get; init; } = 8;
}

/// <summary>Figures of one offline benchmark run.</summary>
internal sealed record OfflineBenchmarkResult(
    int Requests, int InputLength, int OutputLength, int PrefixLength,
    double SequentialTokensPerSecond, double ConcurrentTokensPerSecond,
    double FirstTtftMs, double SharedPrefixTtftMs, int SharedPrefixCachedTokens,
    double KvUnusedPercent, long Preemptions, double SingleDecodeStepMs, double BatchedDecodeStepMs,
    double MixedKvUnusedPercent)
{
    public double BatchingSpeedup => ConcurrentTokensPerSecond / SequentialTokensPerSecond;
    /// <summary>Decode tokens/s of one step over all <see cref="Requests"/> running sequences against one step of a
    /// single sequence (medians of the interleaved decode-step rounds).</summary>
    public double DecodeStepSpeedup => Requests * SingleDecodeStepMs / BatchedDecodeStepMs;
    public double PrefixTtftSpeedup => FirstTtftMs / SharedPrefixTtftMs;
}

/// <summary>Measures the engine on a model without a server: output tokens/s of N concurrent requests against the
/// same N one at a time (greedy, ignore_eos, random prompts), the time to first token of a request sharing a long
/// prefix with the one before it against that first one, and the KV slots held but unused while batching.</summary>
internal static class OfflineBenchmark
{
    public static OfflineBenchmarkResult Run(IForwardModel model, ITokenizer tokenizer, OfflineBenchmarkOptions options,
        EngineOptions? engineOptions = null, Action<string>? log = null)
    {
        engineOptions ??= new EngineOptions { MaxNumSeqs = Math.Max(options.Requests, 16) };
        var engine = new LlmEngine(model, tokenizer, engineOptions);
        int context = engine.MaxModelLength;
        if (options.Requests < 1 || options.InputLength < 1 || options.OutputLength < 1 || options.StepRounds < 1 || options.StepsPerRound < 1)
            throw new ArgumentException("requests, input length, output length and rounds must be ≥ 1");
        if (options.InputLength + options.OutputLength > context)
            throw new ArgumentException($"input + output length ({options.InputLength + options.OutputLength}) exceeds the model context ({context})");
        var rng = new Random(options.Seed);
        var vocab = Enumerable.Range(0, model.Shape.VocabSize).Where(t => t >= tokenizer.VocabSize || !tokenizer.IsEndOfGeneration(t)).ToArray();
        int[] RandomTokens(int n) => Enumerable.Range(0, n).Select(_ => vocab[rng.Next(vocab.Length)]).ToArray();
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = options.OutputLength, IgnoreEos = true };

        RunToEnd(engine, [RandomTokens(8)], sampling with { MaxTokens = 4 }); // warm-up (JIT, buffers)

        log?.Invoke($"one at a time: {options.Requests} × ({options.InputLength} in, {options.OutputLength} out)");
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < options.Requests; i++)
            RunToEnd(engine, [RandomTokens(options.InputLength)], sampling);
        double sequential = options.Requests * options.OutputLength / sw.Elapsed.TotalSeconds;

        log?.Invoke($"concurrent: {options.Requests} requests at once");
        long preemptionsBefore = engine.GetStats().PreemptionsTotal;
        var prompts = Enumerable.Range(0, options.Requests).Select(_ => RandomTokens(options.InputLength)).ToArray();
        double unusedSum = 0;
        int steps = 0;
        sw.Restart();
        RunToEnd(engine, prompts, sampling, () =>
        {
            unusedSum += engine.KvUnusedFraction();
            steps++;
        });
        double concurrent = options.Requests * options.OutputLength / sw.Elapsed.TotalSeconds;
        long preemptions = engine.GetStats().PreemptionsTotal - preemptionsBefore;

        // Decode steps of one sequence and of all of them, alternated round by round: memory bandwidth on a shared
        // machine drifts over tens of seconds, and comparing two phases a minute apart measured the drift as much as
        // the batching (the same build gave 2.1× to 3.1× for gpt-oss-20b at 16 streams, run to run).
        log?.Invoke($"decode steps: 1 and {options.Requests} sequences alternated, {options.StepRounds} rounds of {options.StepsPerRound} steps");
        var singleSteps = new List<double>();
        var batchedSteps = new List<double>();
        for (int round = 0; round < options.StepRounds; round++)
        {
            var single = TimeDecodeSteps(engine, [RandomTokens(options.InputLength)], sampling, options.StepsPerRound);
            var batched = TimeDecodeSteps(engine, [.. Enumerable.Range(0, options.Requests).Select(_ => RandomTokens(options.InputLength))],
                sampling, options.StepsPerRound);
            // The round's own ratio too: the two phases of one round are seconds apart, the rounds' medians minutes.
            log?.Invoke($"  round {round + 1}: 1 sequence {Median(single):F2} ms, {options.Requests} sequences {Median(batched):F2} ms per step"
                + $" ({options.Requests * Median(single) / Median(batched):F2}x decode tokens/s)");
            singleSteps.AddRange(single);
            batchedSteps.AddRange(batched);
        }

        // Mixed lengths: prompts of 1..2·input and outputs of 1..2·output tokens, so sequences end and grow out of
        // step; the mean share of held KV slots that hold no token over every step.
        log?.Invoke($"mixed lengths: {options.Requests} requests, 1..{2 * options.InputLength} in, 1..{2 * options.OutputLength} out");
        foreach (var _ in Enumerable.Range(0, options.Requests))
        {
            int inLength = rng.Next(1, Math.Min(2 * options.InputLength, context - 2 * options.OutputLength) + 1);
            engine.AddRequest(new GenerationRequest("mixed", RandomTokens(inLength), sampling with { MaxTokens = rng.Next(1, 2 * options.OutputLength + 1) }));
        }
        double mixedUnused = 0;
        int mixedSteps = 0;
        StepToEnd(engine, () =>
        {
            mixedUnused += engine.KvUnusedFraction();
            mixedSteps++;
        });

        // Shared prefix: a fresh engine (empty cache), two requests with the same prefix and different tails.
        int prefix = Math.Min(options.PrefixLength, context - 17);
        log?.Invoke($"time to first token with a shared {prefix}-token prefix");
        var fresh = new LlmEngine(model, tokenizer, engineOptions with { MaxNumBatchedTokens = Math.Max(engineOptions.MaxNumBatchedTokens, prefix + 16) });
        RunToEnd(fresh, [RandomTokens(8)], sampling with { MaxTokens = 2 });
        int[] shared = RandomTokens(prefix);
        var (firstMs, _) = TimeToFirstToken(fresh, [.. shared, .. RandomTokens(16)]);
        var (secondMs, cached) = TimeToFirstToken(fresh, [.. shared, .. RandomTokens(16)]);

        return new OfflineBenchmarkResult(options.Requests, options.InputLength, options.OutputLength, prefix,
            sequential, concurrent, firstMs, secondMs, cached, steps == 0 ? 0 : 100 * unusedSum / steps, preemptions,
            Median(singleSteps), Median(batchedSteps), mixedSteps == 0 ? 0 : 100 * mixedUnused / mixedSteps);
    }

    /// <summary>Runs the prompts to completion (see <see cref="StepToEnd"/>).</summary>
    private static void RunToEnd(LlmEngine engine, int[][] prompts, SamplingParams sampling, Action? afterStep = null)
    {
        foreach (var p in prompts) engine.AddRequest(new GenerationRequest("bench", p, sampling));
        StepToEnd(engine, afterStep);
    }

    /// <summary>Steps the engine until every request has finished (a failed request fails the benchmark).</summary>
    private static void StepToEnd(LlmEngine engine, Action? afterStep = null)
    {
        while (engine.HasUnfinishedRequests)
        {
            Check(engine.Step().Outputs);
            afterStep?.Invoke();
        }
    }

    private static void Check(IReadOnlyList<RequestOutput> outputs)
    {
        foreach (var o in outputs)
            if (o.Delta.Finish == FinishReason.Error) throw new InvalidOperationException("benchmark request failed: " + o.Delta.Error);
    }

    /// <summary>Starts the prompts together and times <paramref name="steps"/> pure decode steps over all of them (as many
    /// sequences as tokens in the step: no prompt chunk rides along), then aborts them. Their token limit leaves room for
    /// every prompt's prefill to finish while the first ones decode; if they end (or a preemption keeps them from all
    /// decoding at once) before enough steps, the benchmark fails saying so.</summary>
    private static List<double> TimeDecodeSteps(LlmEngine engine, int[][] prompts, SamplingParams sampling, int steps)
    {
        int width = prompts.Length;
        int room = engine.MaxModelLength - prompts.Max(p => p.Length);
        var limited = sampling with { MaxTokens = Math.Min(room, steps + prompts.Sum(p => p.Length) + 8) };
        var keys = prompts.Select(p => engine.AddRequest(new GenerationRequest("bench-steps", p, limited))).ToList();
        var times = new List<double>();
        var sw = new Stopwatch();
        while (times.Count < steps)
        {
            if (!engine.HasUnfinishedRequests)
                throw new InvalidOperationException($"{width} sequences never decoded together for {steps} steps (only {times.Count}): context or KV cache too small for this shape");
            sw.Restart();
            var outputs = engine.Step().Outputs;
            double ms = sw.Elapsed.TotalMilliseconds;
            Check(outputs);
            if (engine.LastStepSequences == width && engine.LastStepTokens == width) times.Add(ms);
        }
        foreach (long key in keys) engine.Abort(key);
        return times;
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs[xs.Count / 2];
    }

    private static (double Ms, int Cached) TimeToFirstToken(LlmEngine engine, int[] prompt)
    {
        var sw = Stopwatch.StartNew();
        engine.AddRequest(new GenerationRequest("ttft", prompt, new SamplingParams { Temperature = 0, MaxTokens = 1, IgnoreEos = true }));
        while (engine.HasUnfinishedRequests)
        {
            foreach (var o in engine.Step().Outputs)
                if (o.Delta.TokenIds.Count > 0 || o.Delta.Finish is not null)
                    return (sw.Elapsed.TotalMilliseconds, o.Delta.CachedPromptTokens);
        }
        throw new InvalidOperationException("no token was produced");
    }
}
