using System.CommandLine;
using Hearth.Cli.Support;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;

namespace Hearth.Cli.Commands;

/// <summary>`hearth bench-offline --model FILE`: the engine without HTTP: batched vs one-at-a-time output tokens/s,
/// time to first token with a shared prefix, and KV cache slots held but unused.</summary>
internal static class BenchOfflineCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "GGUF file to load", Required = true };
        var requests = new Option<int>("--requests") { Description = "Concurrent requests", DefaultValueFactory = _ => 16 };
        var inputLen = new Option<int>("--input-len") { Description = "Prompt tokens per request", DefaultValueFactory = _ => 128 };
        var outputLen = new Option<int>("--output-len") { Description = "Generated tokens per request", DefaultValueFactory = _ => 64 };
        var prefixLen = new Option<int>("--prefix-len") { Description = "Shared prefix tokens for the TTFT test (capped by the context)", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0: all cores)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto", DefaultValueFactory = _ => "cpu" };
        device.AcceptOnlyFromAmong(DeviceSelection.Choices);
        var lora = new Option<string[]>("--lora") { Description = "LoRA adapter GGUF; repeat for several. Instead of the usual figures: N streams on the base vs N streams round-robin over the adapters", Arity = ArgumentArity.ZeroOrMore };
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds: of the decode-step comparison (1 sequence, then all), or with --lora of base and adapters", DefaultValueFactory = _ => 3 };
        var command = new Command("bench-offline", "Benchmark the engine in-process on a GGUF file: batching speed-up, prefix-cache TTFT, KV waste")
        {
            model, requests, inputLen, outputLen, prefixLen, threads, device, lora, rounds,
        };
        CommandRunner.SetAction(command, (parse, ctx, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            string path = parse.GetRequiredValue(model);
            if (!File.Exists(path)) throw new CliException($"no such file: {path}");
            using var gguf = GgufFile.Open(path);
            using var backend = DeviceSelection.CreateBackend(DeviceSelection.Resolve(parse.GetValue(device)!, out _), parse.GetValue(threads));
            using var forward = DecoderModel.Load(gguf, backend);
            var tokenizer = TokenizerFactory.FromGguf(gguf);
            var options = new OfflineBenchmarkOptions
            {
                Requests = parse.GetValue(requests),
                InputLength = parse.GetValue(inputLen),
                OutputLength = parse.GetValue(outputLen),
                PrefixLength = parse.GetValue(prefixLen),
                StepRounds = parse.GetValue(rounds),
            };
            output.WriteLine($"model {Path.GetFileName(path)} ({forward.Shape.Architecture}, context {forward.Shape.ContextLength}) on {backend.Name}");
            if (parse.GetValue(lora) is { Length: > 0 } files)
            {
                var adapters = files.Select((f, i) => forward.LoadAdapter(f, $"lora{i}")).ToList();
                output.WriteLine($"{adapters.Count} adapters: rank {string.Join(",", adapters.Select(a => a.Rank))}, {adapters[0].AdaptedMatrices} matrices each; " +
                    $"{options.Requests} streams, {options.InputLength} in / {options.OutputLength} out");
                var rs = LoraBenchmark.Run(forward, tokenizer, adapters, options, parse.GetValue(rounds), line => output.WriteLine("  " + line));
                output.WriteLine($"output tokens/s, base (median of rounds):     {Med(rs.Select(x => x.BaseTokensPerSecond)),10:F1}");
                output.WriteLine($"output tokens/s, {adapters.Count} adapters (median):        {Med(rs.Select(x => x.LoraTokensPerSecond)),10:F1}");
                output.WriteLine($"ratio adapters / base (median of rounds):     {Med(rs.Select(x => x.Ratio)),10:F3}");
                return Task.FromResult(0);
            }
            var r = OfflineBenchmark.Run(forward, tokenizer, options, log: line => output.WriteLine("  " + line));
            output.WriteLine($"output tokens/s, one at a time:        {r.SequentialTokensPerSecond,10:F1}");
            output.WriteLine($"output tokens/s, {r.Requests,3} concurrent:       {r.ConcurrentTokensPerSecond,10:F1}   ({r.BatchingSpeedup:F2}x)");
            output.WriteLine($"decode step, 1 sequence (median):      {r.SingleDecodeStepMs,10:F2} ms   (rounds alternated with the next line)");
            output.WriteLine($"decode step, {r.Requests,3} sequences (median):  {r.BatchedDecodeStepMs,10:F2} ms   ({r.DecodeStepSpeedup:F2}x decode tokens/s)");
            output.WriteLine($"TTFT, first request ({r.PrefixLength}-token prefix): {r.FirstTtftMs,10:F2} ms");
            output.WriteLine($"TTFT, second request sharing it:       {r.SharedPrefixTtftMs,10:F2} ms   ({r.PrefixTtftSpeedup:F1}x faster, {r.SharedPrefixCachedTokens} tokens cached)");
            output.WriteLine($"KV slots held but unused (mean/step):  {r.KvUnusedPercent,10:F2} %   (mixed lengths: {r.MixedKvUnusedPercent:F2} %)");
            output.WriteLine($"preemptions:                           {r.Preemptions,10}");
            return Task.FromResult(0);
        });
        return command;
    }

    private static double Med(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        return a[a.Length / 2];
    }
}
