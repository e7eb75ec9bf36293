namespace Hearth.Tests;

/// <summary>Locates the repository root and the ../shared/ fixtures directory from a test's output folder.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Hearth.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find Hearth.slnx above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root (where Hearth.slnx is).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>../shared next to the repository (HEARTH_SHARED overrides); null when absent.</summary>
    public static string? Shared
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("HEARTH_SHARED");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
            var p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            return Directory.Exists(p) ? p : null;
        }
    }

    /// <summary>Committed fixtures inside the repository (tests/fixtures).</summary>
    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    /// <summary>The embedded default model committed in the repository.</summary>
    public static string EmbeddedModel => Path.Combine(RepoRoot, "models", "tinystories-656k-q8_0.gguf");

    /// <summary>A file under ../shared, or null when ../shared is absent (tests then skip with a reason).</summary>
    public static string? SharedFile(params string[] parts) =>
        Shared is { } s ? Path.Combine([s, .. parts]) : null;
}
