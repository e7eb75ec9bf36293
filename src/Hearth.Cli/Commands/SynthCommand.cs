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
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", SyntheticPreset.All.Keys)}", Required = true };
        var quant = new Option<string>("--quant") { Description = $"Weight type: {string.Join(", ", SyntheticModel.SupportedQuants)}", DefaultValueFactory = _ => "Q8_0" };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary GGUF whose tokenizer.* keys are copied (default: the preset's vocabulary from ../shared/vocab or tests/fixtures/vocab)" };
        var output = new Option<string>("--output", "-o") { Description = "Output .gguf file", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var context = new Option<int?>("--context") { Description = "Context length written to the model (default: the preset's); for long-context benchmarks" };
        context.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 16 or > 1 << 20) r.AddError("--context must be between 16 and 1048576"); });
        var pooling = new Option<string?>("--pooling") { Description = "Encoders: override the preset's pooling (mean, cls, last, rank; rank adds a classification head)" };
        var command = new Command("synth", "Write a synthetic (random-weight) GGUF model for benchmarks and tests") { preset, quant, vocab, output, seed, pooling, context };
        command.SetAction(parse => Run(parse.GetValue(preset)!, parse.GetValue(quant)!, parse.GetValue(vocab), parse.GetValue(output)!, parse.GetValue(seed), parse.GetValue(pooling), parse.GetValue(context)));
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
            if (!Enum.TryParse<GgmlType>(quantName, ignoreCase: true, out var quant) || !SyntheticModel.SupportedQuants.Contains(quant))
                return Fail($"unsupported --quant '{quantName}' (use {string.Join(", ", SyntheticModel.SupportedQuants)})");
            if (vocabPath is not null && !File.Exists(vocabPath))
                return Fail($"vocabulary file '{vocabPath}' not found");
            string vocabFile = vocabPath ?? VocabLocator.Find(preset.DefaultVocab);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
            if (dir is not null && !Directory.Exists(dir))
                return Fail($"output folder '{dir}' does not exist");
            var sw = Stopwatch.StartNew();
            SyntheticModel.Write(output, preset, quant, vocabFile, seed);
            Console.WriteLine($"wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB, {preset.Name} {quant}, vocab {Path.GetFileName(vocabFile)}) in {sw.Elapsed.TotalSeconds:F1} s");
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
