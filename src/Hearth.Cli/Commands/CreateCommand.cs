using System.CommandLine;
using Hearth.Cli.Support;
using Hearth.Engine.Store;

namespace Hearth.Cli.Commands;

/// <summary>`hearth create NAME -f Modelfile`: a model from a Modelfile (FROM a GGUF file, a blob or another model).</summary>
internal static class CreateCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Name of the new model" };
        var file = new Option<string?>("--file", "-f") { Description = "Path to the Modelfile (default: ./Modelfile)" };
        var command = new Command("create", "Create a model from a Modelfile") { name, file };
        CommandRunner.SetAction(command, (parse, ctx, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var path = Path.GetFullPath(parse.GetValue(file) ?? "Modelfile");
            if (!File.Exists(path)) throw new CliException($"Modelfile not found: {path}");
            var modelfile = ModelfileParser.Parse(File.ReadAllText(path));
            var view = new PullProgressView(output, ctx.OutputIsTerminal);
            var entry = ModelCreator.Create(ctx.OpenStore(), parse.GetRequiredValue(name), modelfile, Path.GetDirectoryName(path)!, view, ct);
            view.Finish();
            output.WriteLine($"created {entry.Name}");
            return Task.FromResult(0);
        });
        return command;
    }
}
