using System.CommandLine;
using Hearth.Cli.Commands;

// The `hearth` command. Each subcommand lives in Commands/ and exposes a static Create().
var root = new RootCommand("Hearth: host and serve large language models (GGUF, CPU first, OpenAI- and Ollama-compatible)");
foreach (var command in CommandTable.All())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
