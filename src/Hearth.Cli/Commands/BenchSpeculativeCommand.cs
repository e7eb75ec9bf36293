using System.CommandLine;
using Hearth.Cli.Support;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;

namespace Hearth.Cli.Commands;

/// <summary>`hearth bench-speculative`: single-stream greedy decode tokens/s without speculation, with prompt lookup
/// and (given --draft-model) with a draft model, interleaved round by round on one prompt; prints the median of each,
/// its ratio to no speculation, the acceptance, and whether the output equals the plain one token for token.</summary>
internal static class BenchSpeculativeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "GGUF file to load", Required = true };
        var draftModel = new Option<string?>("--draft-model") { Description = "Draft model GGUF (same vocabulary) for the draft mode; may be the model itself (loaded twice)" };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text" };
        var promptFile = new Option<string?>("--prompt-file") { Description = "Prompt text from a file (e.g. bench/speculative/edit-prompt.txt)" };
        var randomPrompt = new Option<int?>("--random-prompt") { Description = "A prompt of this many random tokens instead (seeded)" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Output tokens per run", DefaultValueFactory = _ => 128 };
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds (each runs every mode once)", DefaultValueFactory = _ => 3 };
        var k = new Option<int>("--num-speculative-tokens") { Description = "Draft tokens per step", DefaultValueFactory = _ => 4 };
        var modes = new Option<string>("--modes") { Description = "Comma-separated modes: none, ngram, draft, and ngram-always / draft-always (the switch-off disabled)", DefaultValueFactory = _ => "none,ngram" };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured runs of every mode before the rounds", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0: all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("bench-speculative", "Benchmark speculative decoding in-process: single-stream decode tokens/s with and without it, interleaved")
        {
            model, draftModel, prompt, promptFile, randomPrompt, maxTokens, rounds, k, modes, warmup, threads,
        };
        CommandRunner.SetAction(command, (parse, ctx, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            string path = parse.GetRequiredValue(model);
            if (!File.Exists(path)) throw new CliException($"no such file: {path}");
            using var gguf = GgufFile.Open(path);
            using var backend = DeviceSelection.CreateBackend(ComputeDevice.Cpu, parse.GetValue(threads));
            using var forward = DecoderModel.Load(gguf, backend);
            var tokenizer = TokenizerFactory.FromGguf(gguf);
            string? draftPath = parse.GetValue(draftModel);
            using var draftFile = draftPath is null ? null : GgufFile.Open(draftPath);
            using var draft = draftFile is null ? null : DecoderModel.Load(draftFile, backend);

            int[] tokens = PromptTokens(parse, tokenizer, forward.Shape.VocabSize, prompt, promptFile, randomPrompt);
            int max = parse.GetValue(maxTokens);
            int blocks = (tokens.Length + max + 64) / 16 + 2;
            var baseOptions = new EngineOptions { NumKvBlocks = blocks, BlockSize = 16, NumSpeculativeTokens = parse.GetValue(k), MaxNumBatchedTokens = Math.Max(2048, tokens.Length + 64) };
            var list = parse.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(m => new SpeculativeMode(m, m switch
                {
                    "none" => baseOptions,
                    "ngram" => baseOptions with { SpeculativeMethod = SpeculativeMethod.Ngram },
                    "ngram-always" => baseOptions with { SpeculativeMethod = SpeculativeMethod.Ngram, SpeculativeMinAcceptance = 0 },
                    "draft" or "draft-always" when draft is null => throw new CliException($"mode {m} needs --draft-model"),
                    "draft" => baseOptions with { SpeculativeMethod = SpeculativeMethod.Draft },
                    "draft-always" => baseOptions with { SpeculativeMethod = SpeculativeMethod.Draft, SpeculativeMinAcceptance = 0 },
                    _ => throw new CliException($"unknown mode {m} (none, ngram, ngram-always, draft, draft-always)"),
                })).ToList();
            if (list.Count == 0 || list[0].Label != "none") list.Insert(0, new SpeculativeMode("none", baseOptions));

            output.WriteLine($"model {Path.GetFileName(path)} ({forward.Shape.Architecture}, {forward.Shape.LayerCount} layers, vocab {forward.Shape.VocabSize}) on {backend.Name}" +
                             (draftPath is null ? "" : $"; draft {Path.GetFileName(draftPath)}"));
            output.WriteLine($"prompt {tokens.Length} tokens, {max} output tokens, k = {baseOptions.NumSpeculativeTokens}, {parse.GetValue(rounds)} interleaved rounds");
            var results = SpeculativeBenchmark.Run(forward, tokenizer, draft, list, tokens, max, parse.GetValue(rounds), parse.GetValue(warmup), line => output.WriteLine("  " + line));
            double plain = results[0].Median, plainCpu = results[0].CpuMedian;
            foreach (var r in results)
            {
                string spec = r.Stats is { } s
                    ? $"acceptance {s.AcceptanceRate,6:P1}, mean accepted length {s.MeanAcceptedLength:F2}, {s.Drafts} verify steps"
                    : "";
                output.WriteLine($"{r.Label,-13} {r.Median,9:F1} tok/s  {r.Median / plain,6:F3}x  {r.CpuMedian,9:F1} tok/cpu-s  {r.CpuMedian / plainCpu,6:F3}x  " +
                                 $"same tokens: {(r.SameTokensAsFirst ? "yes" : "NO")}  {spec}");
            }
            return Task.FromResult(results.All(r => r.SameTokensAsFirst) ? 0 : 2);
        });
        return command;
    }

    private static int[] PromptTokens(ParseResult parse, ITokenizer tokenizer, int vocab, Option<string?> prompt, Option<string?> promptFile, Option<int?> random)
    {
        if (parse.GetValue(random) is int n)
        {
            var rng = new Random(1);
            var usable = Enumerable.Range(0, Math.Min(vocab, tokenizer.VocabSize)).Where(t => !tokenizer.IsEndOfGeneration(t)).ToArray();
            return Enumerable.Range(0, n).Select(_ => usable[rng.Next(usable.Length)]).ToArray();
        }
        string text = parse.GetValue(prompt) ?? (parse.GetValue(promptFile) is { } f ? File.ReadAllText(f) : throw new CliException("give --prompt, --prompt-file or --random-prompt"));
        return tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
    }
}
