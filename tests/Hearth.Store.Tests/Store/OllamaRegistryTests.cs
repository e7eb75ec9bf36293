using System.Text;
using Hearth.Store;

namespace Hearth.Store.Tests.Store;

/// <summary>`pull` of Ollama registry names against a local fake registry: manifest and layers, settings layers into
/// the stored model, sha256 checks, missing tags, the token challenge, resume, and where the registry comes from.</summary>
public sealed class OllamaRegistryTests : IAsyncLifetime
{
    private static readonly byte[] Gguf = File.ReadAllBytes(TempStore.Gguf);
    private const string GoTemplate = "{{ if .System }}<|system|>{{ .System }}{{ end }}<|user|>{{ .Prompt }}<|assistant|>";
    private const string Params = """{"stop":["<|end|>","<|user|>"],"temperature":0.6,"num_ctx":4096,"future_knob":1}""";
    private const string Messages = """[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]""";
    private FakeRegistry _registry = null!;
    private TempStore _t = null!;

    public async Task InitializeAsync()
    {
        _registry = await FakeRegistry.StartAsync();
        _t = new TempStore(environment: new() { ["HEARTH_REGISTRY"] = _registry.Url });
        _registry.AddModel("library/llama3.2:latest", Gguf,
            ("template", GoTemplate), ("system", "You are terse."), ("license", "LLAMA 3.2 LICENSE"), ("params", Params), ("messages", Messages));
        _registry.AddModel("someone/tiny:v1", Gguf);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _t.Dispose();
    }

    private string[] Paths() => _registry.Requests.Select(r => r.Path).ToArray();

    [Fact]
    public async Task LibraryNameBringsTheGgufAndTheSettingsLayers()
    {
        var progress = new List<PullProgress>();
        var entry = await _t.Store.PullAsync("llama3.2", new SyncProgress(progress), CancellationToken.None);
        Assert.Equal("llama3.2:latest", entry.Name);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
        Assert.Equal("/v2/library/llama3.2/manifests/latest", Paths()[0]);
        Assert.Contains($"/v2/library/llama3.2/blobs/{EmbeddedModel.Digest}", Paths());
        Assert.Null(entry.Template); // the GGUF's own chat template is used
        Assert.Equal(GoTemplate, entry.OllamaTemplate);
        Assert.Equal("You are terse.", entry.System);
        Assert.Equal("LLAMA 3.2 LICENSE", entry.License);
        Assert.Equal(new Dictionary<string, string> { ["stop"] = "<|end|>\n<|user|>", ["temperature"] = "0.6", ["num_ctx"] = "4096" }, entry.Parameters);
        Assert.Equal([("user", "hi"), ("assistant", "hello")], entry.Messages);
        Assert.Contains(progress, p => p.Status == "skipping parameter future_knob (not a Hearth parameter)");
        Assert.Equal("pulling manifest", progress[0].Status);
        Assert.Equal("success", progress[^1].Status);
        Assert.Equal($"{new Uri(_registry.Url).GetLeftPart(UriPartial.Authority)}/library/llama3.2:latest", _t.Store.GetManifest(entry.Name)!.Source);
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
    }

    [Fact]
    public async Task NamespaceAndTagAddressTheirManifest()
    {
        var entry = await _t.Store.PullAsync("someone/tiny:v1", null, CancellationToken.None);
        Assert.Equal("someone/tiny:v1", entry.Name);
        Assert.Equal(["/v2/someone/tiny/manifests/v1", $"/v2/someone/tiny/blobs/{EmbeddedModel.Digest}"], Paths());
        Assert.Null(entry.OllamaTemplate);
        Assert.Empty(entry.Parameters);
    }

    [Fact]
    public async Task MissingTagIsAClearErrorAndStoresNothing()
    {
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("qwen3:4b", null, CancellationToken.None));
        Assert.Equal($"the manifest of library/qwen3:4b not found in the registry {_registry.Url}/ (HTTP 404)", e.Message);
        Assert.Equal(StoreFailure.NotFound, e.Kind);
        Assert.Empty(_t.Store.List());
    }

    [Fact]
    public async Task ModelLayerDigestMismatchRemovesTheDownload()
    {
        var wrong = Gguf.ToArray();
        wrong[^1] ^= 0xFF;
        string claimed = _registry.AddBlob(Gguf);
        _registry.Blobs[claimed] = wrong; // served under the digest of different bytes
        _registry.Manifests["library/bad:latest"] = FakeRegistry.ManifestJson([("model", claimed, Gguf.Length)]);
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("bad", null, CancellationToken.None));
        Assert.Contains("sha256 mismatch", e.Message);
        Assert.Empty(_t.Store.List());
        Assert.Empty(Directory.EnumerateFiles(_t.Store.BlobsDir));
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
    }

    [Fact]
    public async Task SettingsLayerDigestMismatchIsRefusedBeforeTheDownload()
    {
        string system = _registry.AddBlob("be nice"u8.ToArray());
        _registry.Blobs[system] = "be mean"u8.ToArray();
        _registry.Manifests["library/sys:latest"] = FakeRegistry.ManifestJson([("model", _registry.AddBlob(Gguf), Gguf.Length), ("system", system, 7)]);
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("sys", null, CancellationToken.None));
        Assert.StartsWith($"library/sys: layer {system} does not match its digest", e.Message);
        Assert.DoesNotContain(Paths(), p => p.EndsWith(EmbeddedModel.Digest, StringComparison.Ordinal));
        Assert.Empty(_t.Store.List());
    }

    [Fact]
    public async Task BearerChallengeIsAnsweredWithATokenFromTheRealm()
    {
        _registry.RequireToken = true;
        var entry = await _t.Store.PullAsync("llama3.2", null, CancellationToken.None);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
        var requests = _registry.Requests.ToArray();
        Assert.Equal("/v2/library/llama3.2/manifests/latest", requests[0].Path);
        Assert.Null(requests[0].Authorization);
        Assert.Equal("/token", requests[1].Path);
        Assert.Equal("?service=fake-registry&scope=repository%3Alibrary%2Fllama3.2%3Apull", requests[1].Query);
        Assert.Single(requests, r => r.Path == "/token"); // one token serves the manifest and every layer
        Assert.All(requests.Skip(2), r => Assert.Equal($"Bearer {FakeRegistry.Token}", r.Authorization));
    }

    [Fact]
    public async Task AnInterruptedDownloadResumesWhereItStopped()
    {
        _registry.CutNextDownloadAfter = 100_000;
        await Assert.ThrowsAnyAsync<Exception>(() => _t.Store.PullAsync("someone/tiny:v1", null, CancellationToken.None));
        Assert.Empty(_t.Store.List());
        var entry = await _t.Store.PullAsync("someone/tiny:v1", null, CancellationToken.None);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
        var blobRequests = _registry.Requests.Where(r => r.Path.Contains("/blobs/", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, blobRequests.Length);
        Assert.Null(blobRequests[0].Range);
        Assert.Equal("bytes=100000-", blobRequests[1].Range);
    }

    [Fact]
    public async Task RegistryArgumentWinsOverTheEnvironment()
    {
        await using var other = await FakeRegistry.StartAsync();
        other.AddModel("library/only-here:latest", Gguf);
        var entry = await _t.Store.PullAsync("only-here", other.Url, null, CancellationToken.None);
        Assert.Equal("only-here:latest", entry.Name);
        Assert.Empty(_registry.Requests);
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("llama3.2", "ftp://example", null, CancellationToken.None));
        Assert.Equal("registry 'ftp://example' is not an http(s) URL", e.Message);
    }

    [Fact]
    public async Task NamesWithTooManyPartsAreNotRegistryNames()
    {
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("a/b/c", null, CancellationToken.None));
        Assert.Equal("cannot pull 'a/b/c:latest': an Ollama registry name is [NAMESPACE/]MODEL[:TAG] (or use hf.co/OWNER/REPO[:QUANT] or an http(s) URL of a .gguf file)", e.Message);
        Assert.Empty(_registry.Requests);
    }

    [Fact]
    public void ChallengeFieldsAreParsed()
    {
        var f = OllamaRegistry.ChallengeFields("realm=\"https://a.b/token\",service=\"svc\",scope=\"repository:x/y:pull,push\"");
        Assert.Equal("https://a.b/token", f["realm"]);
        Assert.Equal("svc", f["service"]);
        Assert.Equal("repository:x/y:pull,push", f["scope"]);
    }

    private sealed class SyncProgress(List<PullProgress> list) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => list.Add(value);
    }
}
