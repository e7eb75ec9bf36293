using System.CommandLine;
using Hearth.Cli.Support;
using Hearth.Core.Gguf;
using Hearth.Store;
using Hearth.Store.Synthetic;

namespace Hearth.Cli.Commands;

/// <summary>`hearth create NAME -f Modelfile` (FROM a GGUF file, a blob or another model), or
/// `hearth create NAME --synthetic PRESET --quant Q` (a random-weight model of a real architecture, for benchmarks).</summary>
internal static class CreateCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Name of the new model" };
        var file = new Option<string?>("--file", "-f") { Description = "Path to the Modelfile (default: ./Modelfile)" };
        var synthetic = new Option<string?>("--synthetic") { Description = $"Write a random-weight model of this shape: {string.Join(", ", SyntheticPreset.All.Keys)}" };
        var quant = new Option<string>("--quant") { Description = $"Weight type of a synthetic model: {SyntheticModel.QuantNames}", DefaultValueFactory = _ => "Q8_0" };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary GGUF of a synthetic model (default: the preset's, from ../shared/vocab or tests/fixtures/vocab)" };
        var command = new Command("create", "Create a model from a Modelfile, or a synthetic one") { name, file, synthetic, quant, vocab };
        CommandRunner.SetAction(command, async (parse, ctx, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var store = ctx.OpenStore();
            var modelName = ModelName.Parse(parse.GetRequiredValue(name)).ToString();
            ModelEntry entry;
            if (parse.GetValue(synthetic) is { } preset)
            {
                if (parse.GetValue(file) != null) throw new CliException("use either --file or --synthetic, not both");
                entry = await CreateSyntheticAsync(store, modelName, preset, parse.GetValue(quant)!, parse.GetValue(vocab), output, ct);
            }
            else
            {
                var path = Path.GetFullPath(parse.GetValue(file) ?? "Modelfile");
                if (!File.Exists(path)) throw new CliException($"Modelfile not found: {path}");
                var modelfile = ModelfileParser.Parse(await File.ReadAllTextAsync(path, ct));
                using var view = new PullProgressView(output, ctx.OutputIsTerminal);
                entry = ModelCreator.Create(store, modelName, modelfile, Path.GetDirectoryName(path)!, view, ct);
                view.Finish();
            }
            await output.WriteLineAsync($"created {entry.Name}");
            return 0;
        });
        return command;
    }

    private static async Task<ModelEntry> CreateSyntheticAsync(ModelStore store, string name, string presetName, string quantText,
        string? vocabPath, TextWriter output, CancellationToken ct)
    {
        var preset = SyntheticPreset.Get(presetName);
        if (!SyntheticModel.TryParseQuant(quantText, out var quant, out bool medium))
            throw new CliException($"--quant {quantText} is not supported for synthetic models (use {SyntheticModel.QuantNames})");
        var vocab = vocabPath is null ? VocabLocator.Find(preset.DefaultVocab) : Path.GetFullPath(vocabPath);
        if (!File.Exists(vocab)) throw new CliException($"vocabulary file not found: {vocab}");
        // Written inside the store so that adopting it as a blob is a rename, not a copy of gigabytes.
        var temp = Path.Combine(store.PartialDir, $"synthetic-{Guid.NewGuid():N}.gguf");
        try
        {
            string quantName = medium ? "Q4_K_M" : quant.ToString();
            await output.WriteLineAsync($"writing synthetic {preset.Name} ({quantName})");
            await Task.Run(() => SyntheticModel.Write(temp, preset, quant, vocab, medium: medium), ct);
            await output.WriteLineAsync("verifying sha256 digest");
            var digest = store.AdoptFile(temp, ct);
            await output.WriteLineAsync("writing manifest");
            return store.Save(name, store.DescribeBlob(digest, $"synthetic {preset.Name} {quantName}"));
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
