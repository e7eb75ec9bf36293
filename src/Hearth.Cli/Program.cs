using System.CommandLine;
using Hearth.Cli.Commands;
using Hearth.Cli.Support;
using Hearth.Engine;

// The `hearth` command. Each subcommand lives in Commands/ and exposes a static Create().
// `hearth run` with no server answering loads models in-process through the same loader `hearth serve` uses.
InProcessChat.Loader = (entry, ct) => Task.Run(
    () => ServeModelLoader.Load(entry.Name, entry.GgufPath, entry, new ServeEngineSettings(Environment.ProcessorCount, new EngineOptions())), ct);

var root = CommandTable.Root("Hearth: host and serve large language models (GGUF, CPU first, OpenAI- and Ollama-compatible)");
return await root.Parse(args).InvokeAsync();
