using System.CommandLine;
using Hearth.Cli.Support;
using Hearth.Store;

namespace Hearth.Cli.Commands;

/// <summary>`hearth show MODEL`: architecture, parameters, quantization, context length, template, system, license.</summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model name" };
        var license = new Option<bool>("--license") { Description = "Show only the license" };
        var template = new Option<bool>("--template") { Description = "Show only the template" };
        var system = new Option<bool>("--system") { Description = "Show only the system prompt" };
        var parameters = new Option<bool>("--parameters") { Description = "Show only the parameters" };
        var command = new Command("show", "Show information about a model") { model, license, template, system, parameters };
        CommandRunner.SetAction(command, (parse, ctx, _) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var store = ctx.OpenStore();
            var name = parse.GetRequiredValue(model);
            var entry = Resolve(store, name);
            if (parse.GetValue(license)) output.WriteLine(entry.License ?? "");
            else if (parse.GetValue(template)) output.WriteLine(entry.Template ?? "");
            else if (parse.GetValue(system)) output.WriteLine(entry.System ?? "");
            else if (parse.GetValue(parameters)) WriteParameters(output, entry, "");
            else Write(output, entry);
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>A model from the store; the embedded default is registered on first use.</summary>
    internal static ModelEntry Resolve(ModelStore store, string name)
    {
        var entry = store.Find(name);
        if (entry is null && ModelName.TryParse(name, out var parsed, out _) && parsed == EmbeddedModel.Name)
            entry = EmbeddedModel.EnsureRegistered(store);
        return entry ?? throw new CliException($"model '{name}' not found; `hearth list` shows the models in the store");
    }

    internal static void Write(TextWriter output, ModelEntry entry)
    {
        var facts = GgufFacts.Read(entry.GgufPath);
        output.WriteLine("  Model");
        var rows = new List<(string, string)>
        {
            ("architecture", entry.Family), ("parameters", entry.ParameterSize), ("context length", entry.ContextLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (facts.Details.TryGetValue("embedding_length", out var embedding)) rows.Add(("embedding length", embedding));
        rows.Add(("quantization", entry.QuantizationLevel));
        foreach (var (key, value) in rows) output.WriteLine($"    {key,-20}{value}");
        if (entry.Parameters.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("  Parameters");
            WriteParameters(output, entry, "    ");
        }
        Section(output, "Template", entry.Template);
        Section(output, "Ollama template (Go template, shown only: the GGUF's chat template is used)", entry.Template is null ? entry.OllamaTemplate : null);
        Section(output, "System", entry.System);
        if (entry.Messages.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("  Messages");
            foreach (var (role, content) in entry.Messages) output.WriteLine($"    {role,-12}{content}");
        }
        Section(output, "License", entry.License);
    }

    private static void WriteParameters(TextWriter output, ModelEntry entry, string indent)
    {
        foreach (var (key, joined) in entry.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            foreach (var value in joined.Split('\n'))
                output.WriteLine($"{indent}{key,-20}{(key == "stop" ? $"\"{value}\"" : value)}");
    }

    private static void Section(TextWriter output, string title, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        output.WriteLine();
        output.WriteLine($"  {title}");
        foreach (var line in text.ReplaceLineEndings("\n").Split('\n')) output.WriteLine($"    {line}");
    }
}
