using System.CommandLine;
using System.Diagnostics;
using Hearth.Core.Gguf;
using Hearth.Engine.Models;
using Hearth.Store.Synthetic;

namespace Hearth.Cli.Commands;

/// <summary>`hearth synth`: writes a random-weight GGUF model with a real architecture's shape and vocabulary.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var preset = new Option<string?>("--preset") { Description = $"Model shape: {string.Join(", ", SyntheticPreset.All.Keys)} (or --lora-for)" };
        var loraFor = new Option<string?>("--lora-for") { Description = "Write a random LoRA adapter (llama.cpp's GGUF layout) for this base model GGUF instead of a model" };
        var rank = new Option<int>("--rank") { Description = "LoRA rank r", DefaultValueFactory = _ => 16 };
        var alpha = new Option<float>("--alpha") { Description = "LoRA alpha (adapter.lora.alpha; 0: the scale alone)", DefaultValueFactory = _ => 32f };
        var targets = new Option<string>("--targets") { Description = $"LoRA target matrices, comma-separated: {string.Join(",", SyntheticLora.Targets.Keys)} or all", DefaultValueFactory = _ => "all" };
        var loraStd = new Option<float>("--lora-b-std") { Description = "Standard deviation of the random lora_b values", DefaultValueFactory = _ => 0.05f };
        var quant = new Option<string>("--quant") { Description = $"Weight type: {SyntheticModel.QuantNames}", DefaultValueFactory = _ => "Q8_0" };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary GGUF whose tokenizer.* keys are copied (default: the preset's vocabulary from ../shared/vocab or tests/fixtures/vocab)" };
        var output = new Option<string>("--output", "-o") { Description = "Output .gguf file", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var context = new Option<int?>("--context") { Description = "Context length written to the model (default: the preset's); for long-context benchmarks" };
        context.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 16 or > 1 << 20) r.AddError("--context must be between 16 and 1048576"); });
        var pooling = new Option<string?>("--pooling") { Description = "Encoders: override the preset's pooling (mean, cls, last, rank; rank adds a classification head)" };
        var command = new Command("synth", "Write a synthetic (random-weight) GGUF model, or a random LoRA adapter for one, for benchmarks and tests")
            { preset, quant, vocab, output, seed, pooling, context, loraFor, rank, alpha, targets, loraStd };
        command.SetAction(parse => parse.GetValue(loraFor) is { } baseModel
            ? RunLora(baseModel, parse.GetValue(output)!, parse.GetValue(rank), parse.GetValue(alpha), parse.GetValue(targets)!,
                parse.GetResult(quant) is null or { Implicit: true } ? "F32" : parse.GetValue(quant)!, parse.GetValue(seed), parse.GetValue(loraStd))
            : parse.GetValue(preset) is { } p ? Run(p, parse.GetValue(quant)!, parse.GetValue(vocab), parse.GetValue(output)!, parse.GetValue(seed), parse.GetValue(pooling), parse.GetValue(context))
            : Fail("give --preset (a model) or --lora-for BASE.gguf (an adapter)"));
        return command;
    }

    private static int Run(string presetName, string quantName, string? vocabPath, string output, int seed, string? poolingName, int? contextLength)
    {
        try
        {
            if (!SyntheticPreset.All.TryGetValue(presetName, out var preset))
                return Fail($"unknown preset '{presetName}' (known: {string.Join(", ", SyntheticPreset.All.Keys)})");
            if (contextLength is int ctx) preset = preset with { ContextLength = ctx };
            if (poolingName is not null)
            {
                if (!preset.IsEncoder) return Fail($"--pooling applies to encoder presets only; '{presetName}' is a {preset.Architecture} model");
                if (!Enum.TryParse<PoolingType>(poolingName, ignoreCase: true, out var pooling) || pooling == PoolingType.None || !Enum.IsDefined(pooling))
                    return Fail($"unknown --pooling '{poolingName}' (use mean, cls, last or rank)");
                preset = preset with { Pooling = pooling };
            }
            if (!SyntheticModel.TryParseQuant(quantName, out var quant, out bool medium))
                return Fail($"unsupported --quant '{quantName}' (use {SyntheticModel.QuantNames})");
            if (vocabPath is not null && !File.Exists(vocabPath))
                return Fail($"vocabulary file '{vocabPath}' not found");
            string vocabFile = vocabPath ?? VocabLocator.Find(preset.DefaultVocab);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
            if (dir is not null && !Directory.Exists(dir))
                return Fail($"output folder '{dir}' does not exist");
            var sw = Stopwatch.StartNew();
            SyntheticModel.Write(output, preset, quant, vocabFile, seed, medium);
            Console.WriteLine($"wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB, {preset.Name} {(medium ? "Q4_K_M" : quant)}, vocab {Path.GetFileName(vocabFile)}) in {sw.Elapsed.TotalSeconds:F1} s");
            return 0;
        }
        catch (Exception e) when (e is GgufException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Fail(e.Message);
        }
    }

    /// <summary>`hearth synth --lora-for BASE.gguf`: a random adapter (F32 unless --quant F16).</summary>
    private static int RunLora(string baseModel, string output, int rank, float alpha, string targetList, string quantName, int seed, float bStd)
    {
        try
        {
            if (!File.Exists(baseModel)) return Fail($"base model '{baseModel}' not found");
            if (!Enum.TryParse<GgmlType>(quantName, ignoreCase: true, out var type))
                return Fail($"unsupported --quant '{quantName}' for an adapter (use F32 or F16)");
            var names = targetList.Equals("all", StringComparison.OrdinalIgnoreCase)
                ? SyntheticLora.Targets.Keys.ToList()
                : targetList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            int n = SyntheticLora.Write(output, baseModel, new SyntheticLora.Options(rank, alpha, names, type, seed, bStd));
            Console.WriteLine($"wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB, LoRA r{rank} alpha {alpha} on {n} matrices of {Path.GetFileName(baseModel)})");
            return 0;
        }
        catch (Exception e) when (e is GgufException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"hearth synth: {message}");
        return 1;
    }
}
