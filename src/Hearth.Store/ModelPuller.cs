using System.Text.RegularExpressions;

namespace Hearth.Store;

/// <summary>Pulls a model into the store: <c>hf.co/OWNER/REPO[:QUANT]</c> through the Hugging Face hub (honouring
/// HF_ENDPOINT and HF_TOKEN), a plain http(s) URL of a .gguf, the embedded default model by its name, or any other
/// name (<c>llama3.2</c>, <c>qwen3:4b</c>, <c>namespace/model:tag</c>) from an Ollama registry (<paramref name="registry"/>,
/// else HEARTH_REGISTRY, else <see cref="OllamaRegistry.DefaultRegistry"/>).</summary>
internal sealed partial class ModelPuller(ModelStore store, string? registry = null)
{
    private static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient { Timeout = Timeout.InfiniteTimeSpan });

    public async Task<ModelEntry> PullAsync(string name, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        name = name.Trim();
        var http = store.Http ?? SharedHttp.Value;
        var token = store.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } t ? t : null;
        if (name.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || name.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return await PullUrlAsync(name, http, token, progress, cancellationToken);

        var parsed = ModelName.Parse(name);
        if (parsed.Path == EmbeddedModel.Name.Path && parsed.Tag == EmbeddedModel.Name.Tag)
        {
            progress?.Report(new PullProgress("verifying embedded model"));
            var embedded = EmbeddedModel.EnsureRegistered(store);
            progress?.Report(new PullProgress("success"));
            return embedded;
        }
        if (!parsed.IsHuggingFace)
            return await PullFromRegistryAsync(parsed, http, progress, cancellationToken);
        var parts = parsed.Path.Split('/');
        if (parts.Length != 3)
            throw new ModelStoreException($"cannot pull '{name}': a Hugging Face name is hf.co/OWNER/REPO[:QUANT]");
        string repo = $"{parts[1]}/{parts[2]}";

        progress?.Report(new PullProgress("pulling manifest"));
        var hub = new HuggingFaceHub(http, Endpoint(), token);
        var file = await hub.ResolveAsync(repo, parsed.Tag == ModelName.DefaultTag ? null : parsed.Tag, cancellationToken);
        var digest = await new BlobDownloader(store, http).DownloadAsync(file, token, progress, cancellationToken, path => CheckGguf(path, name));
        return Register(parsed.ToString(), digest, $"hf.co/{repo}/{file.FileName}", progress);
    }

    private async Task<ModelEntry> PullUrlAsync(string url, HttpClient http, string? token, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ModelStoreException($"'{url}' is not a valid http(s) URL");
        var fileName = Path.GetFileName(Uri.UnescapeDataString(uri.AbsolutePath));
        if (!fileName.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            throw new ModelStoreException($"'{url}' does not name a .gguf file");
        var name = NameFromFile(fileName);
        // The token goes only to the hub itself, never to an arbitrary host.
        var sendToken = string.Equals(uri.Host, Endpoint().Host, StringComparison.OrdinalIgnoreCase) ? token : null;
        var digest = await new BlobDownloader(store, http).DownloadAsync(new RemoteFile(uri, fileName, null, null), sendToken, progress, cancellationToken,
            path => CheckGguf(path, url));
        return Register(name, digest, url, progress);
    }

    private async Task<ModelEntry> PullFromRegistryAsync(ModelName name, HttpClient http, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        if (!OllamaRegistry.TrySplit(name.Path, out var ns, out var model))
            throw new ModelStoreException($"cannot pull '{name}': an Ollama registry name is [NAMESPACE/]MODEL[:TAG] (or use hf.co/OWNER/REPO[:QUANT] or an http(s) URL of a .gguf file)");
        var registryUri = RegistryUri();
        progress?.Report(new PullProgress("pulling manifest"));
        var pull = await new OllamaRegistry(http, registryUri).ResolveAsync(ns, model, name.Tag, cancellationToken);
        foreach (var skipped in pull.SkippedParameters)
            progress?.Report(new PullProgress($"skipping parameter {skipped} (not a Hearth parameter)"));
        var digest = await new BlobDownloader(store, http).DownloadAsync(pull.Model, pull.BearerToken, progress, cancellationToken,
            path => CheckGguf(path, name.ToString()));
        // The registry's TEMPLATE is a Go template: kept for display; the GGUF's own chat template stays in use.
        return Register(name.ToString(), digest, $"{registryUri.GetLeftPart(UriPartial.Authority)}/{ns}/{model}:{name.Tag}", progress, m => m with
        {
            OllamaTemplate = pull.GoTemplate,
            System = pull.System,
            License = pull.License ?? m.License,
            Parameters = pull.Parameters,
            Messages = pull.Messages,
        });
    }

    private Uri RegistryUri()
    {
        var configured = registry ?? store.GetEnvironmentVariable("HEARTH_REGISTRY");
        if (string.IsNullOrWhiteSpace(configured)) return OllamaRegistry.DefaultRegistry;
        if (!Uri.TryCreate(configured.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ModelStoreException($"registry '{configured}' is not an http(s) URL");
        return uri;
    }

    /// <summary>A download becomes a blob only if it is a GGUF Hearth can read (checked before it enters the store).</summary>
    private static void CheckGguf(string path, string source)
    {
        try
        {
            GgufFacts.Read(path);
        }
        catch (Hearth.Core.Gguf.GgufException e)
        {
            throw new ModelStoreException($"not a usable GGUF file ({source}): {e.Message}; the download was removed");
        }
    }

    private ModelEntry Register(string name, string digest, string source, IProgress<PullProgress>? progress, Func<ModelManifest, ModelManifest>? settings = null)
    {
        progress?.Report(new PullProgress("writing manifest"));
        ModelEntry entry;
        try
        {
            var manifest = store.DescribeBlob(digest, source);
            entry = store.Save(name, settings is null ? manifest : settings(manifest));
        }
        catch
        {
            store.RemoveBlobIfUnused(digest); // no blob without a manifest
            throw;
        }
        progress?.Report(new PullProgress("success"));
        return entry;
    }

    private Uri Endpoint()
    {
        var configured = store.GetEnvironmentVariable("HF_ENDPOINT");
        if (string.IsNullOrWhiteSpace(configured)) return HuggingFaceHub.DefaultEndpoint;
        if (!Uri.TryCreate(configured.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ModelStoreException($"HF_ENDPOINT '{configured}' is not an http(s) URL");
        return uri;
    }

    /// <summary>"Llama-3.2-1B-Q4_K_M.gguf" → "llama-3.2-1b-q4_k_m:latest".</summary>
    internal static string NameFromFile(string fileName)
    {
        var stem = InvalidChars().Replace(Path.GetFileNameWithoutExtension(fileName).ToLowerInvariant(), "-").Trim('-', '.', '_');
        if (stem.Length == 0) stem = "model";
        return $"{stem[..Math.Min(stem.Length, 100)]}:{ModelName.DefaultTag}";
    }

    [GeneratedRegex("[^a-z0-9_.-]+")]
    private static partial Regex InvalidChars();
}
