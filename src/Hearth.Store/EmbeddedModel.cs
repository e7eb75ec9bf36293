namespace Hearth.Store;

/// <summary>The default model compiled into Hearth (models/tinystories-656k-q8_0.gguf, an embedded resource of
/// Hearth.Engine), so that a fresh machine with no network can serve something. It is registered in the store as
/// <c>tinystories:latest</c> on first use: a hash-verified copy into blobs plus a manifest.</summary>
public static class EmbeddedModel
{
    /// <summary>The name the embedded model is registered under.</summary>
    public static ModelName Name { get; } = new("tinystories", ModelName.DefaultTag);

    /// <summary>sha256 of the embedded GGUF (models/README.md).</summary>
    public const string Digest = "sha256:c773a9eb8883751131f30e0c1965c56b1102a4972fdac6a6f71fe156ba6d8cb7";

    internal const string ResourceName = "Hearth.Models.tinystories-656k-q8_0.gguf";

    private static Dictionary<string, string> DefaultParameters() => new(StringComparer.Ordinal) { ["stop"] = StopText };

    /// <summary>Opens the embedded GGUF bytes.</summary>
    public static Stream Open() =>
        typeof(EmbeddedModel).Assembly.GetManifestResourceStream(ResourceName)
        ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from {typeof(EmbeddedModel).Assembly.GetName().Name}");

    /// <summary>The model's stories end with this literal text (it is not a special token), so it is the default stop
    /// string, as an Ollama Modelfile would give it.</summary>
    public const string StopText = "<|end_story|>";

    /// <summary>Registers <c>tinystories:latest</c> unless a model of that name already exists; returns its entry.
    /// An entry registered by an older Hearth (the embedded GGUF without any parameters) gains the default stop string.
    /// Safe to call from several processes at once (atomic blob rename, locked manifest write).</summary>
    public static ModelEntry EnsureRegistered(ModelStore store)
    {
        if (store.Find(Name.ToString()) is { } existing)
        {
            if (existing.Parameters.Count > 0 || store.GetManifest(existing.Name) is not { Gguf: Digest } old) return existing;
            return store.Save(Name.ToString(), old with { Parameters = DefaultParameters() });
        }
        var blob = store.BlobPath(Digest);
        if (!File.Exists(blob) || new FileInfo(blob).Length == 0)
        {
            var temp = Path.Combine(store.PartialDir, $"embedded-{Guid.NewGuid():N}.tmp");
            try
            {
                using (var source = Open())
                using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    source.CopyTo(target);
                    target.Flush(flushToDisk: true);
                }
                var actual = BlobDigest.OfFile(temp);
                if (actual != Digest)
                    throw new ModelStoreException($"the embedded model is corrupt (sha256 {actual}, expected {Digest})");
                AtomicFile.Publish(temp, blob);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
        return store.Save(Name.ToString(), store.DescribeBlob(Digest, "embedded: models/tinystories-656k-q8_0.gguf") with { Parameters = DefaultParameters() });
    }
}
