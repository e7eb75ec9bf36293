using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hearth.Store;

/// <summary>A file to download: where from, and (when the source says) its size and sha256.</summary>
public sealed record RemoteFile(Uri Url, string FileName, long? Size, string? Digest);

/// <summary>Finds the GGUF of a quantization in a Hugging Face repository through the hub's file API
/// (<c>/api/models/{repo}/tree/main</c>, falling back to <c>/api/models/{repo}?blobs=true</c> siblings).</summary>
public sealed partial class HuggingFaceHub(HttpClient http, Uri endpoint, string? token)
{
    /// <summary>The quantization pulled when a hf.co name has no tag (as Ollama does).</summary>
    public const string DefaultQuantization = "Q4_K_M";

    public static Uri DefaultEndpoint { get; } = new("https://huggingface.co");

    private sealed record HubFile(string Path, long? Size, string? Sha256);

    /// <summary>Resolves repo + quantization (null = default) to the GGUF to download. Throws <see cref="ModelStoreException"/>
    /// with a clear message when the repository is missing, denied, or has no matching file.</summary>
    public async Task<RemoteFile> ResolveAsync(string repo, string? quantization, CancellationToken cancellationToken)
    {
        var files = await ListFilesAsync(repo, cancellationToken);
        var ggufs = files.Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)).ToList();
        if (ggufs.Count == 0)
            throw new ModelStoreException($"hf.co/{repo} has no .gguf files", StoreFailure.NotFound);
        // Multi-part GGUFs ("-00001-of-00003.gguf") need all parts merged; Hearth loads single files only.
        var single = ggufs.Where(f => !SplitPattern().IsMatch(f.Path)).ToList();
        string available = string.Join(", ", ggufs.Select(f => Path.GetFileName(f.Path)));

        List<HubFile> matches;
        if (quantization is null)
        {
            matches = Matching(single, DefaultQuantization);
            if (matches.Count == 0 && single.Count == 1) matches = single;
            if (matches.Count == 0)
                throw new ModelStoreException($"hf.co/{repo} has no {DefaultQuantization} GGUF; name one as hf.co/{repo}:QUANT (files: {available})", StoreFailure.NotFound);
        }
        else
        {
            matches = Matching(single, quantization);
            if (matches.Count == 0)
                throw new ModelStoreException($"hf.co/{repo} has no single-file GGUF for quantization '{quantization}' (files: {available})", StoreFailure.NotFound);
        }
        // Several matches (e.g. in sub-folders): the shortest path is the main one.
        var file = matches.OrderBy(f => f.Path.Length).ThenBy(f => f.Path, StringComparer.Ordinal).First();
        var url = new Uri(endpoint, $"{repo}/resolve/main/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}");
        return new RemoteFile(url, Path.GetFileName(file.Path), file.Size, file.Sha256 is { } h ? BlobDigest.FromHex(h) : null);
    }

    /// <summary>Files whose name holds the quantization as a whole token (Q4_K must not match Q4_K_M), any case.</summary>
    private static List<HubFile> Matching(List<HubFile> files, string quantization)
    {
        var pattern = new Regex($"(?<![A-Za-z0-9]){Regex.Escape(quantization)}(?![A-Za-z0-9_])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return files.Where(f => pattern.IsMatch(Path.GetFileNameWithoutExtension(f.Path))).ToList();
    }

    private async Task<List<HubFile>> ListFilesAsync(string repo, CancellationToken cancellationToken)
    {
        using (var tree = await GetAsync($"api/models/{repo}/tree/main?recursive=true", cancellationToken))
        {
            if (tree.IsSuccessStatusCode)
            {
                using var doc = await ReadJsonAsync(tree, repo, cancellationToken);
                if (doc.RootElement.ValueKind != JsonValueKind.Array)
                    throw new ModelStoreException($"hf.co/{repo}: the hub's file list is not a JSON array");
                return doc.RootElement.EnumerateArray()
                    .Where(e => Str(e, "type") is null or "file" && Str(e, "path") is not null)
                    .Select(e => new HubFile(Str(e, "path")!, Lfs(e, "size") ?? Long(e, "size"), LfsString(e, "oid")))
                    .ToList();
            }
            if (tree.StatusCode != HttpStatusCode.NotFound) ThrowFor(tree, repo);
        }
        using var info = await GetAsync($"api/models/{repo}?blobs=true", cancellationToken);
        if (!info.IsSuccessStatusCode) ThrowFor(info, repo);
        using var model = await ReadJsonAsync(info, repo, cancellationToken);
        if (!model.RootElement.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
            throw new ModelStoreException($"hf.co/{repo}: the hub's model info has no file list");
        return siblings.EnumerateArray()
            .Where(e => Str(e, "rfilename") is not null)
            .Select(e => new HubFile(Str(e, "rfilename")!, Lfs(e, "size") ?? Long(e, "size"), LfsString(e, "sha256") ?? LfsString(e, "oid")))
            .ToList();
    }

    private async Task<HttpResponseMessage> GetAsync(string relative, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, relative));
        if (token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ModelStoreException($"cannot reach {endpoint}: {e.Message}", e, StoreFailure.Remote);
        }
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, string repo, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new ModelStoreException($"hf.co/{repo}: the hub answered with invalid JSON ({e.Message})", e);
        }
    }

    private static void ThrowFor(HttpResponseMessage response, string repo) => throw new ModelStoreException(response.StatusCode switch
    {
        HttpStatusCode.NotFound => $"model repository hf.co/{repo} not found (HTTP 404)",
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
            $"access to hf.co/{repo} was denied (HTTP {(int)response.StatusCode}); set HF_TOKEN to a token that can read it",
        _ => $"the hub answered HTTP {(int)response.StatusCode} for hf.co/{repo}",
    }, response.StatusCode == HttpStatusCode.NotFound ? StoreFailure.NotFound : StoreFailure.Remote);

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : null;

    private static long? Lfs(JsonElement e, string name) => e.TryGetProperty("lfs", out var lfs) ? Long(lfs, name) : null;

    private static string? LfsString(JsonElement e, string name) =>
        e.TryGetProperty("lfs", out var lfs) && Str(lfs, name) is { } s && BlobDigest.IsHex(s.ToLowerInvariant()) ? s : null;

    [GeneratedRegex(@"-\d{5}-of-\d{5}\.gguf$", RegexOptions.IgnoreCase)]
    private static partial Regex SplitPattern();
}
