using System.CommandLine;
using Hearth.Cli.Support;
using Hearth.Store;
using Spectre.Console;

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
            else Write(output, entry, ctx.OutputIsTerminal);
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

    /// <summary>The model's description: key/value sections as Spectre tables on a terminal, an indented listing
    /// otherwise (what scripts and `hearth run`'s /show read).</summary>
    internal static void Write(TextWriter output, ModelEntry entry, bool terminal = false)
    {
        var sections = Describe(entry);
        if (terminal) WriteTables(output, sections);
        else WritePlain(output, sections);
    }

    /// <summary>One titled part of `show`: key/value rows, or a block of text.</summary>
    private sealed record Section(string Title, IReadOnlyList<(string Key, string Value)>? Rows = null, string? Text = null);

    private static List<Section> Describe(ModelEntry entry)
    {
        var facts = GgufFacts.Read(entry.GgufPath);
        var model = new List<(string, string)>
        {
            ("architecture", entry.Family), ("parameters", entry.ParameterSize), ("context length", entry.ContextLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (facts.Details.TryGetValue("embedding_length", out var embedding)) model.Add(("embedding length", embedding));
        model.Add(("quantization", entry.QuantizationLevel));
        var sections = new List<Section> { new("Model", model) };
        if (entry.Parameters.Count > 0) sections.Add(new("Parameters", ParameterRows(entry)));
        AddText(sections, "Template", entry.Template);
        AddText(sections, "Ollama template (Go template, shown only: the GGUF's chat template is used)", entry.Template is null ? entry.OllamaTemplate : null);
        AddText(sections, "System", entry.System);
        if (entry.Messages.Count > 0) sections.Add(new("Messages", entry.Messages.Select(m => (m.Role, m.Content)).ToList()));
        AddText(sections, "License", entry.License);
        return sections;
    }

    private static void AddText(List<Section> sections, string title, string? text)
    {
        if (!string.IsNullOrEmpty(text)) sections.Add(new(title, Text: text.ReplaceLineEndings("\n")));
    }

    private static List<(string, string)> ParameterRows(ModelEntry entry) =>
        [.. entry.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(p => p.Value.Split('\n').Select(value => (p.Key, p.Key == "stop" ? $"\"{value}\"" : value)))];

    private static void WritePlain(TextWriter output, List<Section> sections)
    {
        for (int i = 0; i < sections.Count; i++)
        {
            var section = sections[i];
            if (i > 0) output.WriteLine();
            output.WriteLine($"  {section.Title}");
            int width = section.Title is "Messages" ? -12 : -20;
            if (section.Rows is { } rows)
                foreach (var (key, value) in rows) output.WriteLine("    " + string.Format(System.Globalization.CultureInfo.InvariantCulture, $"{{0,{width}}}", key) + value);
            else
                foreach (var line in section.Text!.Split('\n')) output.WriteLine($"    {line}");
        }
    }

    private static void WriteTables(TextWriter output, List<Section> sections)
    {
        var console = ConsoleStyle.For(output, color: true);
        console.Profile.Width = Math.Max(60, Console.IsOutputRedirected ? 120 : Console.WindowWidth);
        foreach (var section in sections)
        {
            var title = "[bold]" + Markup.Escape(section.Title) + "[/]";
            if (section.Rows is { } rows)
            {
                var table = new Table().Border(TableBorder.Rounded).HideHeaders().Title(title);
                table.AddColumn("key").AddColumn("value");
                foreach (var (key, value) in rows) table.AddRow(new Text(key), new Text(value));
                console.Write(table);
            }
            else
                console.Write(new Panel(new Text(section.Text!)).Header(title).Border(BoxBorder.Rounded).Expand());
        }
    }

    private static void WriteParameters(TextWriter output, ModelEntry entry, string indent)
    {
        foreach (var (key, value) in ParameterRows(entry)) output.WriteLine($"{indent}{key,-20}{value}");
    }
}
