using System.CommandLine;
using Hearth.Cli.Commands;
using Hearth.Cli.Support;
using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Cli.Tests;

/// <summary>Runs `hearth` commands in-process against a temp HEARTH_HOME, capturing stdout and stderr.</summary>
internal sealed class CliHarness : IDisposable
{
    public CliHarness()
    {
        Home = Path.Combine(Path.GetTempPath(), "hearth-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Home);
        Environment["HEARTH_HOME"] = Home;
        // Point the default server at a port nothing listens on, so no test reaches a real server by accident.
        Environment["HEARTH_HOST"] = "127.0.0.1:" + FreePort();
    }

    public string Home { get; }
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The in-process model loader `hearth run` falls back to when no server answers.</summary>
    public Func<ModelEntry, CancellationToken, Task<LoadedModel>>? Loader { get; set; }

    public sealed record Result(int ExitCode, string Out, string Err);

    /// <summary>Runs one command. <paramref name="stdin"/> non-null means piped input; <paramref name="interactive"/>
    /// feeds it as if typed at a terminal instead; <paramref name="terminal"/> makes the output count as a terminal.</summary>
    public async Task<Result> RunAsync(string[] args, string? stdin = null, bool interactive = false, bool terminal = false)
    {
        var root = CommandTable.Root("hearth");
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        CliContext.Override.Value = new CliContext(
            name => Environment.TryGetValue(name, out var v) ? v : null,
            new StringReader(stdin ?? ""), stdin != null && !interactive, OutputIsTerminal: terminal) { InProcessLoader = Loader };
        int code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return new Result(code, output.ToString(), error.ToString());
    }

    public Task<Result> RunAsync(params string[] args) => RunAsync(args, null);

    public static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Writes a Modelfile into HEARTH_HOME's parent folder and returns its path.</summary>
    public string WriteModelfile(string text)
    {
        var path = Path.Combine(Home, "Modelfile-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(path, text);
        return path;
    }

    public static string Gguf => Hearth.Tests.TestPaths.EmbeddedModel;

    public void Dispose()
    {
        if (Directory.Exists(Home)) Directory.Delete(Home, recursive: true);
    }
}
