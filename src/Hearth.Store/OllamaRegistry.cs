using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hearth.Store;

/// <summary>What an Ollama registry manifest resolves to: the GGUF layer to download (with the bearer token the
/// registry's blobs need, if any) and the settings its small layers carry.</summary>
public sealed record OllamaPull(RemoteFile Model, string? BearerToken)
{
    /// <summary>The TEMPLATE layer: a Go template, kept for display only (Hearth renders the GGUF's own chat template).</summary>
    public string? GoTemplate { get; init; }
    public string? System { get; init; }
    public string? License { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = new(StringComparer.Ordinal);
    public List<ManifestMessage> Messages { get; init; } = [];
    /// <summary>Parameters of the params layer Hearth does not know, left out of the stored model.</summary>
    public List<string> SkippedParameters { get; init; } = [];
}

/// <summary>Resolves Ollama model names (<c>llama3.2</c>, <c>qwen3:4b</c>, <c>namespace/model:tag</c>) through an Ollama
/// registry's OCI-distribution API: <c>GET /v2/&lt;ns&gt;/&lt;model&gt;/manifests/&lt;tag&gt;</c>, then the small layers
/// (params, system, license, template, messages) from <c>/v2/&lt;ns&gt;/&lt;model&gt;/blobs/&lt;digest&gt;</c>, each
/// sha256-verified. A 401 with a <c>WWW-Authenticate: Bearer realm=…,service=…,scope=…</c> challenge is answered once
/// by fetching a token from the realm (the Docker registry token flow). The model layer itself is downloaded by
/// <see cref="BlobDownloader"/> (resumable, verified).</summary>
public sealed class OllamaRegistry(HttpClient http, Uri registry)
{
    /// <summary>Ollama's public registry.</summary>
    public static Uri DefaultRegistry { get; } = new("https://registry.ollama.ai/");

    private const string ModelLayer = "application/vnd.ollama.image.model";
    private const string LayerPrefix = "application/vnd.ollama.image.";
    private const int MaxSmallLayerBytes = 1 << 20;
    private const int MaxManifestBytes = 1 << 20;
    private string? _token;

    /// <summary>"llama3.2" → (library, llama3.2); "ns/model" → (ns, model); other shapes are not Ollama names.</summary>
    public static bool TrySplit(string path, out string ns, out string model)
    {
        var parts = path.Split('/');
        (ns, model) = parts.Length switch { 1 => ("library", parts[0]), 2 => (parts[0], parts[1]), _ => ("", "") };
        return model.Length > 0;
    }

    /// <summary>Reads the manifest of <paramref name="ns"/>/<paramref name="model"/>:<paramref name="tag"/> and its small layers.</summary>
    public async Task<OllamaPull> ResolveAsync(string ns, string model, string tag, CancellationToken cancellationToken)
    {
        string repo = $"{ns}/{model}", display = $"{repo}:{tag}";
        List<(string MediaType, string Digest, long Size)> layers;
        using (var response = await SendAsync($"v2/{repo}/manifests/{tag}", repo, manifest: true, cancellationToken))
        {
            if (!response.IsSuccessStatusCode) throw Failure(response, $"the manifest of {display}");
            layers = ParseLayers(await ReadBoundedAsync(response, MaxManifestBytes, display, cancellationToken), display);
        }
        var modelLayers = layers.Where(l => l.MediaType == ModelLayer).ToList();
        if (modelLayers.Count != 1)
            throw new ModelStoreException($"{display}: the manifest has {modelLayers.Count} model layers, expected one GGUF");
        var (_, modelDigest, modelSize) = modelLayers[0];

        string? template = null, system = null;
        var licenses = new List<string>();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipped = new List<string>();
        var messages = new List<ManifestMessage>();
        foreach (var (mediaType, digest, size) in layers)
        {
            switch (mediaType[LayerPrefix.Length..])
            {
                case "model": break;
                // Vision projectors: the text model works without them (Hearth has no vision path).
                case "projector": break;
                case "adapter": throw new ModelStoreException($"{display} has a LoRA adapter layer, which Hearth does not support");
                case "template": template = await ReadTextAsync(repo, digest, size, cancellationToken); break;
                case "system": system = await ReadTextAsync(repo, digest, size, cancellationToken); break;
                case "license": licenses.Add(await ReadTextAsync(repo, digest, size, cancellationToken)); break;
                case "params": ParseParameters(await ReadTextAsync(repo, digest, size, cancellationToken), display, parameters, skipped); break;
                case "messages": ParseMessages(await ReadTextAsync(repo, digest, size, cancellationToken), display, messages); break;
                default: throw new ModelStoreException($"{display}: unknown layer type {mediaType}");
            }
        }
        var url = new Uri(registry, $"v2/{repo}/blobs/{modelDigest}");
        return new OllamaPull(new RemoteFile(url, $"{model}-{tag}.gguf", modelSize, modelDigest), _token)
        {
            GoTemplate = template,
            System = system,
            License = licenses.Count == 0 ? null : string.Join("\n\n", licenses),
            Parameters = parameters,
            Messages = messages,
            SkippedParameters = skipped,
        };
    }

    private static List<(string, string, long)> ParseLayers(byte[] json, string display)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw new ModelStoreException($"{display}: the registry's manifest has no layers");
            var list = new List<(string, string, long)>();
            foreach (var l in layers.EnumerateArray())
            {
                string mediaType = l.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
                string digest = l.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
                long size = l.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n) ? n : -1;
                if (!mediaType.StartsWith(LayerPrefix, StringComparison.Ordinal) || !BlobDigest.IsValid(digest) || size < 0)
                    throw new ModelStoreException($"{display}: the manifest has an invalid layer ({mediaType} {digest} {size})");
                list.Add((mediaType, digest, size));
            }
            return list;
        }
        catch (JsonException e)
        {
            throw new ModelStoreException($"{display}: the registry's manifest is not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The params layer (a JSON object; arrays such as stop become repeated values) checked like Modelfile
    /// PARAMETER lines; parameters Hearth does not know are listed in <paramref name="skipped"/>.</summary>
    private static void ParseParameters(string json, string display, Dictionary<string, string> parameters, List<string> skipped)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelStoreException($"{display}: the params layer is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var values = p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray().ToList() : [p.Value];
                var texts = new List<string>();
                foreach (var v in values)
                {
                    string text = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                    try
                    {
                        texts.Add(ModelfileParser.ParseParameter($"{p.Name} {text}", 0).Item2);
                    }
                    catch (ModelfileException e) when (e.Message.Contains("unknown parameter", StringComparison.Ordinal))
                    {
                        skipped.Add(p.Name);
                        texts.Clear();
                        break;
                    }
                    catch (ModelfileException e)
                    {
                        throw new ModelStoreException($"{display}: params layer: {e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..]}");
                    }
                }
                if (texts.Count > 0) parameters[p.Name.ToLowerInvariant()] = string.Join('\n', texts);
            }
        }
        catch (JsonException e)
        {
            throw new ModelStoreException($"{display}: the params layer is not valid JSON ({e.Message})", e);
        }
    }

    private static void ParseMessages(string json, string display, List<ManifestMessage> messages)
    {
        try
        {
            foreach (var m in JsonSerializer.Deserialize(json, StoreJsonContext.Default.ListManifestMessage) ?? [])
            {
                if (m.Role is not ("system" or "user" or "assistant" or "tool") || m.Content is null)
                    throw new ModelStoreException($"{display}: the messages layer has a message with role '{m.Role}'");
                messages.Add(m);
            }
        }
        catch (JsonException e)
        {
            throw new ModelStoreException($"{display}: the messages layer is not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>A small layer as UTF-8 text, its size and sha256 checked.</summary>
    private async Task<string> ReadTextAsync(string repo, string digest, long size, CancellationToken cancellationToken)
    {
        if (size > MaxSmallLayerBytes)
            throw new ModelStoreException($"{repo}: layer {digest} is {size} bytes, more than the {MaxSmallLayerBytes} a settings layer may have");
        using var response = await SendAsync($"v2/{repo}/blobs/{digest}", repo, manifest: false, cancellationToken);
        if (!response.IsSuccessStatusCode) throw Failure(response, $"layer {digest} of {repo}");
        var bytes = await ReadBoundedAsync(response, MaxSmallLayerBytes, repo, cancellationToken);
        string actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != digest || bytes.Length != size)
            throw new ModelStoreException($"{repo}: layer {digest} does not match its digest (got {actual}, {bytes.Length} bytes)");
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>GET with the token if one is held; a Bearer challenge on 401 fetches a token and retries once.</summary>
    private async Task<HttpResponseMessage> SendAsync(string relative, string repo, bool manifest, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(registry, relative));
            if (manifest)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.docker.distribution.manifest.v2+json"));
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
            }
            if (_token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new ModelStoreException($"cannot reach the registry {registry}: {e.Message}", e, StoreFailure.Remote);
            }
            var challenge = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0 || challenge is null) return response;
            response.Dispose();
            _token = await FetchTokenAsync(challenge.Parameter ?? "", repo, cancellationToken);
        }
    }

    /// <summary>The Docker token flow: GET realm?service=…&amp;scope=… answers {"token": …} (or "access_token").</summary>
    private async Task<string> FetchTokenAsync(string challenge, string repo, CancellationToken cancellationToken)
    {
        var fields = ChallengeFields(challenge);
        if (!fields.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("http" or "https"))
            throw new ModelStoreException($"the registry asked for authentication without a usable token realm ({challenge})");
        var query = new List<string>();
        if (fields.TryGetValue("service", out var service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(fields.TryGetValue("scope", out var scope) ? scope : $"repository:{repo}:pull"));
        var url = new UriBuilder(realmUri) { Query = string.Join('&', query) }.Uri;
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new ModelStoreException($"the registry's token service {realmUri.GetLeftPart(UriPartial.Path)} answered HTTP {(int)response.StatusCode} for {repo}", StoreFailure.Remote);
            using var doc = JsonDocument.Parse(await ReadBoundedAsync(response, MaxSmallLayerBytes, repo, cancellationToken));
            foreach (var name in new[] { "token", "access_token" })
                if (doc.RootElement.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } token)
                    return token;
            throw new ModelStoreException($"the registry's token service gave no token for {repo}", StoreFailure.Remote);
        }
        catch (JsonException e)
        {
            throw new ModelStoreException($"the registry's token service answered invalid JSON ({e.Message})", e, StoreFailure.Remote);
        }
        catch (HttpRequestException e)
        {
            throw new ModelStoreException($"cannot reach the registry's token service {realmUri.Host}: {e.Message}", e, StoreFailure.Remote);
        }
    }

    /// <summary>realm="…",service="…",scope="…" → fields (values unquoted; commas inside quotes kept).</summary>
    internal static Dictionary<string, string> ChallengeFields(string challenge)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int i = 0;
        while (i < challenge.Length)
        {
            int eq = challenge.IndexOf('=', i);
            if (eq < 0) break;
            string key = challenge[i..eq].Trim().TrimStart(',').Trim();
            int end;
            string value;
            if (eq + 1 < challenge.Length && challenge[eq + 1] == '"')
            {
                end = challenge.IndexOf('"', eq + 2);
                if (end < 0) end = challenge.Length;
                value = challenge[(eq + 2)..end];
                end++;
            }
            else
            {
                end = challenge.IndexOf(',', eq + 1);
                if (end < 0) end = challenge.Length;
                value = challenge[(eq + 1)..end].Trim();
            }
            if (key.Length > 0) fields[key] = value;
            i = end + 1;
        }
        return fields;
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int limit, string what, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > limit)
            throw new ModelStoreException($"{what}: the registry sent {response.Content.Headers.ContentLength} bytes, more than {limit} allowed");
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + n > limit) throw new ModelStoreException($"{what}: the registry sent more than {limit} bytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private Exception Failure(HttpResponseMessage response, string what) => new ModelStoreException(response.StatusCode switch
    {
        HttpStatusCode.NotFound => $"{what} not found in the registry {registry} (HTTP 404)",
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"the registry {registry} denied access to {what} (HTTP {(int)response.StatusCode})",
        _ => $"the registry {registry} answered HTTP {(int)response.StatusCode} for {what}",
    }, response.StatusCode == HttpStatusCode.NotFound ? StoreFailure.NotFound : StoreFailure.Remote);
}
