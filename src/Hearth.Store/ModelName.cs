using System.Text.RegularExpressions;

namespace Hearth.Store;

/// <summary>A model name as Ollama spells it: <c>name[:tag]</c> where the name may have slash-separated parts
/// (<c>hf.co/owner/repo:Q4_K_M</c>). A missing tag is <c>latest</c>. Names are case-sensitive, like the files they map to.</summary>
public sealed partial record ModelName(string Path, string Tag)
{
    /// <summary>The tag used when a name has none.</summary>
    public const string DefaultTag = "latest";

    /// <summary>"name:tag".</summary>
    public override string ToString() => $"{Path}:{Tag}";

    /// <summary>True for Hugging Face names (hf.co/owner/repo, huggingface.co/owner/repo).</summary>
    public bool IsHuggingFace => Path.StartsWith("hf.co/", StringComparison.OrdinalIgnoreCase)
        || Path.StartsWith("huggingface.co/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses and validates a name; throws <see cref="ArgumentException"/> with a clear message when it is malformed.</summary>
    public static ModelName Parse(string name) =>
        TryParse(name, out var parsed, out var error) ? parsed : throw new InvalidModelNameException(error);

    /// <summary>Parses a name; false with a reason when it is malformed.</summary>
    public static bool TryParse(string? name, out ModelName parsed, out string error)
    {
        parsed = null!;
        error = "";
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            error = "model name is empty";
            return false;
        }
        // The tag follows the last ':' that comes after the last '/' (a ':' inside a path part is not a tag).
        int slash = name.LastIndexOf('/');
        int colon = name.LastIndexOf(':');
        string path = colon > slash ? name[..colon] : name;
        string tag = colon > slash ? name[(colon + 1)..] : DefaultTag;
        if (tag.Length == 0)
        {
            error = $"invalid model name '{name}': the tag after ':' is empty";
            return false;
        }
        if (!TagPattern().IsMatch(tag))
        {
            error = $"invalid model name '{name}': tag '{tag}' may only contain letters, digits, '_', '-' and '.' (at most 128)";
            return false;
        }
        var parts = path.Split('/');
        if (parts.Length > 4)
        {
            error = $"invalid model name '{name}': at most 4 '/'-separated parts are allowed";
            return false;
        }
        foreach (var part in parts)
        {
            if (!PartPattern().IsMatch(part) || part is "." or "..")
            {
                error = $"invalid model name '{name}': part '{part}' must start with a letter or digit and contain only letters, digits, '_', '-' and '.'";
                return false;
            }
        }
        parsed = new ModelName(path, tag);
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex PartPattern();
}
