using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Cli.Support;

/// <summary>What the commands read from the process: environment variables, stdin, whether output is a terminal.
/// Tests replace it for one invocation through <see cref="Override"/> (an AsyncLocal, so parallel tests don't mix).</summary>
internal sealed record CliContext(Func<string, string?> Environment, TextReader Input, bool InputRedirected, bool OutputIsTerminal)
{
    public static readonly AsyncLocal<CliContext?> Override = new();

    /// <summary>Loads models for `hearth run` when no server answers (null: this build cannot generate in-process).</summary>
    public Func<ModelEntry, CancellationToken, Task<LoadedModel>>? InProcessLoader { get; init; } = InProcessChat.Loader;

    public static CliContext Current => Override.Value ?? new CliContext(
        System.Environment.GetEnvironmentVariable, Console.In, Console.IsInputRedirected, !Console.IsOutputRedirected);

    /// <summary>The model store under HEARTH_HOME (or ~/.hearth).</summary>
    public ModelStore OpenStore() => new(ModelStore.DefaultRoot(Environment), null, Environment);

    /// <summary>The server to talk to: --host, else HEARTH_HOST, else http://127.0.0.1:11435.</summary>
    public Uri ServerUri(string? hostOption)
    {
        var text = hostOption ?? Environment("HEARTH_HOST");
        if (string.IsNullOrWhiteSpace(text)) return new Uri("http://127.0.0.1:11435/");
        text = text.Trim();
        if (!text.Contains("://", StringComparison.Ordinal)) text = "http://" + text;
        if (!Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliException($"invalid host '{hostOption}': expected HOST:PORT or an http(s) URL");
        return uri;
    }
}

/// <summary>A user-facing failure: the message is printed as one line and the command exits with 1.</summary>
internal sealed class CliException(string message) : Exception(message);
