namespace Hearth.Store.Synthetic;

/// <summary>Finds a vocabulary GGUF by file name: ../shared/vocab/ next to the repository, then tests/fixtures/vocab/.
/// The repository is found by walking up from the current directory and from the program's folder.</summary>
public static class VocabLocator
{
    /// <summary>The paths that would be tried for <paramref name="fileName"/>, in order.</summary>
    public static IEnumerable<string> Candidates(string fileName)
    {
        var roots = new List<string>();
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Hearth.slnx")))
                {
                    if (!roots.Contains(dir.FullName)) roots.Add(dir.FullName);
                    break;
                }
            }
        }
        foreach (string root in roots)
            yield return Path.GetFullPath(Path.Combine(root, "..", "shared", "vocab", fileName));
        foreach (string root in roots)
            yield return Path.Combine(root, "tests", "fixtures", "vocab", fileName);
    }

    /// <summary>The first existing candidate, or a <see cref="FileNotFoundException"/> naming what was tried.</summary>
    public static string Find(string fileName)
    {
        var tried = Candidates(fileName).ToList();
        return tried.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"vocabulary {fileName} not found (tried: {(tried.Count == 0 ? "no repository found" : string.Join(", ", tried))}); pass --vocab FILE");
    }
}
