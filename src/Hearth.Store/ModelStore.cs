using Hearth.Core.Gguf;

namespace Hearth.Store;

/// <summary>The on-disk model store under <c>~/.hearth</c> (or <c>HEARTH_HOME</c>): content-addressed GGUF blobs in
/// <c>blobs/sha256-&lt;hex&gt;</c>, one small JSON manifest per <c>name:tag</c> in <c>manifests/&lt;name&gt;/@&lt;tag&gt;.json</c>,
/// resumable downloads in <c>partial/</c>. Every write is temp file + atomic rename, and manifest updates hold
/// <c>store.lock</c>, so concurrent writers (threads or processes) never expose a half-written model.</summary>
public sealed class ModelStore : IModelCatalog
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly Func<string, string?> _environment;
    private readonly HttpClient? _http;

    /// <summary>Opens (creating if needed) a store at <paramref name="root"/>.</summary>
    /// <param name="http">Client for pulls (a default one when null).</param>
    /// <param name="environment">Reads HF_TOKEN / HF_ENDPOINT (the process environment when null).</param>
    public ModelStore(string root, HttpClient? http = null, Func<string, string?>? environment = null)
    {
        Root = Path.GetFullPath(root);
        _http = http;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        Directory.CreateDirectory(BlobsDir);
        Directory.CreateDirectory(ManifestsDir);
        Directory.CreateDirectory(PartialDir);
    }

    /// <summary>The store directory: HEARTH_HOME when set, otherwise ~/.hearth.</summary>
    public static string DefaultRoot(Func<string, string?>? environment = null)
    {
        var home = (environment ?? Environment.GetEnvironmentVariable)("HEARTH_HOME");
        return string.IsNullOrWhiteSpace(home)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".hearth")
            : home;
    }

    public string Root { get; }
    public string BlobsDir => Path.Combine(Root, "blobs");
    public string ManifestsDir => Path.Combine(Root, "manifests");
    /// <summary>Downloads in progress (kept after an interruption so the next pull resumes them).</summary>
    public string PartialDir => Path.Combine(Root, "partial");
    internal string LockPath => Path.Combine(Root, "store.lock");
    internal string? GetEnvironmentVariable(string name) => _environment(name);
    internal HttpClient? Http => _http;

    public string BlobPath(string digest) => Path.Combine(BlobsDir, BlobDigest.FileName(digest));

    private string ManifestPath(ModelName name) =>
        Path.Combine([ManifestsDir, .. name.Path.Split('/'), "@" + name.Tag + ".json"]);

    /// <inheritdoc />
    public IReadOnlyList<ModelEntry> List()
    {
        var result = new List<ModelEntry>();
        foreach (var file in Directory.EnumerateFiles(ManifestsDir, "@*.json", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(ManifestsDir, file).Replace(Path.DirectorySeparatorChar, '/');
            int slash = rel.LastIndexOf('/');
            if (slash <= 0) continue;
            var tag = rel[(slash + 2)..^5];
            if (!ModelName.TryParse($"{rel[..slash]}:{tag}", out var name, out _)) continue;
            if (TryLoad(name, file) is { } entry) result.Add(entry);
        }
        result.Sort((a, b) => b.ModifiedAt.CompareTo(a.ModifiedAt));
        return result;
    }

    /// <inheritdoc />
    public ModelEntry? Find(string name) =>
        ModelName.TryParse(name, out var parsed, out _) ? TryLoad(parsed, ManifestPath(parsed)) : null;

    /// <summary>The manifest of a model, or null when absent.</summary>
    public ModelManifest? GetManifest(string name)
    {
        if (!ModelName.TryParse(name, out var parsed, out _)) return null;
        var path = ManifestPath(parsed);
        return File.Exists(path) ? ModelManifest.FromJson(File.ReadAllBytes(path), path) : null;
    }

    /// <summary>Loads an entry; a manifest that is unreadable or whose blob is missing is not a model (null).</summary>
    private ModelEntry? TryLoad(ModelName name, string manifestPath)
    {
        byte[] bytes;
        DateTime modified;
        try
        {
            bytes = File.ReadAllBytes(manifestPath);
            modified = File.GetLastWriteTimeUtc(manifestPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        ModelManifest m;
        try
        {
            m = ModelManifest.FromJson(bytes, manifestPath);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        var blob = BlobPath(m.Gguf);
        if (!File.Exists(blob)) return null;
        return new ModelEntry(name.ToString(), BlobDigest.Of(bytes), blob, m.Size, new DateTimeOffset(modified, TimeSpan.Zero))
        {
            Family = m.Family,
            ParameterSize = m.ParameterSize,
            QuantizationLevel = m.QuantizationLevel,
            ContextLength = m.ContextLength,
            Template = m.Template,
            OllamaTemplate = m.OllamaTemplate,
            System = m.System,
            License = m.License,
            Parameters = m.Parameters,
            Messages = m.Messages.Select(x => (x.Role, x.Content)).ToList(),
            AdapterPaths = m.Adapters.Select(BlobPath).ToList(),
        };
    }

    /// <summary>Writes (or replaces) a model's manifest under the store lock. The blob must already be in the store.</summary>
    public ModelEntry Save(string name, ModelManifest manifest)
    {
        var parsed = ModelName.Parse(name);
        var path = ManifestPath(parsed);
        using (StoreLock.Acquire(LockPath, LockTimeout))
        {
            // Checked under the lock: Delete's blob collection also runs under it, so the blob cannot vanish after this.
            foreach (var blob in (string[])[manifest.Gguf, .. manifest.Adapters])
                if (!File.Exists(BlobPath(blob)))
                    throw new ModelStoreException($"blob {blob} is not in the store");
            AtomicFile.WriteAllBytes(path, manifest.ToJsonBytes());
        }
        return TryLoad(parsed, path) ?? throw new ModelStoreException($"model '{parsed}' vanished right after it was written");
    }

    /// <summary>A manifest for a GGUF blob already in the store, with facts read from the GGUF.</summary>
    public ModelManifest DescribeBlob(string digest, string? source)
    {
        var blob = BlobPath(digest);
        GgufFacts facts;
        try
        {
            facts = GgufFacts.Read(blob);
        }
        catch (GgufException e)
        {
            throw new ModelStoreException($"not a usable GGUF file ({source ?? digest}): {e.Message}");
        }
        return new ModelManifest
        {
            Gguf = digest,
            Size = new FileInfo(blob).Length,
            License = facts.License,
            Family = facts.Family,
            ParameterSize = facts.ParameterSize,
            QuantizationLevel = facts.QuantizationLevel,
            ContextLength = facts.ContextLength,
            Source = source,
        };
    }

    /// <summary>Copies a file into the store as a blob (hash-verified when <paramref name="expectedDigest"/> is given)
    /// and returns its digest. An existing identical blob is reused.</summary>
    public string ImportBlob(string file, string? expectedDigest = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(file)) throw new ModelStoreException($"file not found: {file}");
        var digest = BlobDigest.OfFile(file, cancellationToken);
        if (expectedDigest != null && digest != expectedDigest)
            throw new ModelStoreException($"{file}: sha256 mismatch (expected {expectedDigest}, got {digest})");
        var target = BlobPath(digest);
        if (File.Exists(target)) return digest;
        var temp = Path.Combine(PartialDir, $"import-{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(file, temp);
            // Hash the copy too: a file that changed while it was being copied must not enter the store under a wrong name.
            if (BlobDigest.OfFile(temp, cancellationToken) != digest)
                throw new ModelStoreException($"{file} changed while it was being copied; try again");
            AtomicFile.Publish(temp, target);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return digest;
    }

    /// <summary>Moves a finished file that lives inside the store (e.g. a synthetic model written to
    /// <see cref="PartialDir"/>) into blobs without copying it; returns its digest.</summary>
    public string AdoptFile(string file, CancellationToken cancellationToken = default)
    {
        var digest = BlobDigest.OfFile(file, cancellationToken);
        var target = BlobPath(digest);
        if (File.Exists(target)) File.Delete(file);
        else AtomicFile.Publish(file, target);
        return digest;
    }

    /// <inheritdoc />
    public bool Delete(string name)
    {
        if (!ModelName.TryParse(name, out var parsed, out _)) return false;
        var path = ManifestPath(parsed);
        using (StoreLock.Acquire(LockPath, LockTimeout))
        {
            if (!File.Exists(path)) return false;
            var manifest = ReadManifestOrNull(path);
            File.Delete(path);
            if (manifest != null)
                foreach (var blob in ((string[])[manifest.Gguf, .. manifest.Adapters]).Distinct())
                    if (!AnyManifestUses(blob)) File.Delete(BlobPath(blob));
            RemoveEmptyDirectories(Path.GetDirectoryName(path)!);
        }
        return true;
    }

    /// <inheritdoc />
    public ModelEntry Copy(string source, string destination)
    {
        var src = ModelName.Parse(source);
        var dst = ModelName.Parse(destination);
        var srcPath = ManifestPath(src);
        var dstPath = ManifestPath(dst);
        using (StoreLock.Acquire(LockPath, LockTimeout))
        {
            if (TryLoad(src, srcPath) is null) throw new ModelNotFoundException(src.ToString());
            AtomicFile.WriteAllBytes(dstPath, File.ReadAllBytes(srcPath));
        }
        return TryLoad(dst, dstPath) ?? throw new ModelStoreException($"model '{dst}' vanished right after it was written");
    }

    /// <inheritdoc />
    public Task<ModelEntry> PullAsync(string name, IProgress<PullProgress>? progress, CancellationToken cancellationToken) =>
        new ModelPuller(this).PullAsync(name, progress, cancellationToken);

    /// <summary>Pulls with Ollama registry names resolved against <paramref name="registry"/> (an http(s) URL; null =
    /// HEARTH_REGISTRY, else Ollama's public registry).</summary>
    public Task<ModelEntry> PullAsync(string name, string? registry, IProgress<PullProgress>? progress, CancellationToken cancellationToken) =>
        new ModelPuller(this, registry).PullAsync(name, progress, cancellationToken);

    /// <summary>Deletes a blob that no manifest uses (a pull whose manifest could not be written).</summary>
    internal void RemoveBlobIfUnused(string digest)
    {
        using (StoreLock.Acquire(LockPath, LockTimeout))
            if (!AnyManifestUses(digest)) File.Delete(BlobPath(digest));
    }

    private static ModelManifest? ReadManifestOrNull(string path)
    {
        try
        {
            return ModelManifest.FromJson(File.ReadAllBytes(path), path);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private bool AnyManifestUses(string digest) =>
        Directory.EnumerateFiles(ManifestsDir, "@*.json", SearchOption.AllDirectories)
            .Any(f => ReadManifestOrNull(f) is { } m && (m.Gguf == digest || m.Adapters.Contains(digest)));

    private void RemoveEmptyDirectories(string dir)
    {
        var stop = Path.TrimEndingDirectorySeparator(ManifestsDir);
        while (!string.Equals(Path.TrimEndingDirectorySeparator(dir), stop, StringComparison.Ordinal)
               && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
        {
            Directory.Delete(dir);
            dir = Path.GetDirectoryName(dir)!;
        }
    }
}
