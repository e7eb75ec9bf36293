namespace Hearth.Store;

/// <summary>A parsed Modelfile (Ollama's syntax): FROM plus the settings layered on the base model.</summary>
/// <param name="From">The FROM argument: a GGUF path, a blob digest, or an existing model name.</param>
/// <param name="FromLine">Line number of FROM, for error messages about it.</param>
public sealed record Modelfile(string From, int FromLine)
{
    public string? Template { get; init; }
    public string? System { get; init; }
    public string? License { get; init; }
    /// <summary>PARAMETER lines in file order (a name such as stop may repeat).</summary>
    public IReadOnlyList<(string Name, string Value)> Parameters { get; init; } = [];
    public IReadOnlyList<(string Role, string Content)> Messages { get; init; } = [];
    /// <summary>ADAPTER lines: LoRA adapter GGUFs (llama.cpp's format) applied to FROM, with their line numbers.</summary>
    public IReadOnlyList<(string Path, int Line)> Adapters { get; init; } = [];

    /// <summary>Parameters as stored in a manifest: one entry per name, repeated values joined with '\n'.</summary>
    public Dictionary<string, string> ParameterMap()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in Parameters.GroupBy(p => p.Name))
            map[group.Key] = string.Join('\n', group.Select(p => p.Value));
        return map;
    }
}

/// <summary>A Modelfile is malformed; the message names the line.</summary>
public sealed class ModelfileException(int line, string message) : Exception($"Modelfile line {line}: {message}")
{
    public int Line { get; } = line;
}
