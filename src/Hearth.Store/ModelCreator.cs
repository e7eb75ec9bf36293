namespace Hearth.Store;

/// <summary>`hearth create`: builds a model from a Modelfile. FROM may name a GGUF file (relative to the Modelfile's
/// folder; copied into blobs), a blob digest already in the store, or an existing model whose settings the new one
/// inherits (Modelfile PARAMETERs override the base's one by one; TEMPLATE, SYSTEM, LICENSE and MESSAGEs replace).</summary>
public static class ModelCreator
{
    public static ModelEntry Create(ModelStore store, string name, Modelfile modelfile, string baseDirectory,
        IProgress<PullProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ModelName.Parse(name); // validate before doing any work
        var baseManifest = ResolveFrom(store, modelfile, baseDirectory, progress, cancellationToken);
        var parameters = new Dictionary<string, string>(baseManifest.Parameters, StringComparer.Ordinal);
        foreach (var (key, value) in modelfile.ParameterMap()) parameters[key] = value;
        var manifest = baseManifest with
        {
            Template = modelfile.Template ?? baseManifest.Template,
            System = modelfile.System ?? baseManifest.System,
            License = modelfile.License ?? baseManifest.License,
            Parameters = parameters,
            Messages = modelfile.Messages.Count > 0
                ? modelfile.Messages.Select(m => new ManifestMessage(m.Role, m.Content)).ToList()
                : baseManifest.Messages,
            // ADAPTER lines add to the base model's own adapters (a model made FROM a model with an ADAPTER keeps it).
            Adapters = [.. baseManifest.Adapters, .. modelfile.Adapters.Select(a => ImportAdapter(store, a.Path, a.Line, baseManifest, baseDirectory, progress, cancellationToken))],
        };
        progress?.Report(new PullProgress("writing manifest"));
        var entry = store.Save(name, manifest);
        progress?.Report(new PullProgress("success"));
        return entry;
    }

    /// <summary>Copies an ADAPTER file into the blobs after checking that it is a LoRA adapter for the base model's
    /// architecture (shapes are checked when the model loads).</summary>
    private static string ImportAdapter(ModelStore store, string file, int line, ModelManifest baseManifest, string baseDirectory,
        IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        string path = file.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), file[2..])
            : Path.GetFullPath(file, baseDirectory);
        if (!File.Exists(path)) throw new ModelfileException(line, $"ADAPTER {file}: no such file ({path})");
        try
        {
            using var gguf = Hearth.Core.Gguf.GgufFile.Open(path);
            if (gguf.GetString("adapter.type") != "lora")
                throw new ModelfileException(line, $"ADAPTER {file}: not a LoRA adapter GGUF (adapter.type is not 'lora'; Hearth reads llama.cpp's adapter format)");
            string? arch = gguf.GetString("general.architecture");
            if (baseManifest.Family.Length > 0 && arch != baseManifest.Family)
                throw new ModelfileException(line, $"ADAPTER {file}: the adapter is for '{arch}' but FROM is a '{baseManifest.Family}' model");
        }
        catch (Hearth.Core.Gguf.GgufException e)
        {
            throw new ModelfileException(line, $"ADAPTER {file}: not a GGUF file ({e.Message})");
        }
        progress?.Report(new PullProgress($"copying adapter {Path.GetFileName(path)}"));
        return store.ImportBlob(path, cancellationToken: cancellationToken);
    }

    private static ModelManifest ResolveFrom(ModelStore store, Modelfile modelfile, string baseDirectory,
        IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        string from = modelfile.From;
        string digestText = from.StartsWith('@') ? from[1..] : from;
        if (digestText.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) || digestText.StartsWith("sha256-", StringComparison.OrdinalIgnoreCase))
        {
            var digest = BlobDigest.IsHex(digestText[7..].ToLowerInvariant()) ? "sha256:" + digestText[7..].ToLowerInvariant() : null;
            if (digest is null) throw new ModelfileException(modelfile.FromLine, $"FROM {from}: not a sha256 digest");
            if (!File.Exists(store.BlobPath(digest))) throw new ModelfileException(modelfile.FromLine, $"FROM {from}: no such blob in the store");
            return store.DescribeBlob(digest, from);
        }

        string path = from.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), from[2..])
            : Path.GetFullPath(from, baseDirectory);
        if (Directory.Exists(path))
            throw new ModelfileException(modelfile.FromLine, $"FROM {from} is a directory; Hearth needs a .gguf file (convert safetensors with llama.cpp's convert_hf_to_gguf.py)");
        if (File.Exists(path))
        {
            progress?.Report(new PullProgress($"copying {Path.GetFileName(path)}"));
            var digest = store.ImportBlob(path, cancellationToken: cancellationToken);
            return store.DescribeBlob(digest, path);
        }
        if (ModelName.TryParse(from, out var parsed, out _) && store.GetManifest(parsed.ToString()) is { } manifest
            && store.Find(parsed.ToString()) is not null)
            return manifest with { Source = parsed.ToString() };
        throw new ModelfileException(modelfile.FromLine, $"FROM {from}: no such file ({path}) or model in the store");
    }
}
