using Hearth.Store;

namespace Hearth.Store.Tests.Store;

public sealed class PullTests : IAsyncLifetime
{
    private FakeHub _hub = null!;
    private TempStore _t = null!;
    private static readonly byte[] Gguf = File.ReadAllBytes(TempStore.Gguf);
    private const string Sha = "c773a9eb8883751131f30e0c1965c56b1102a4972fdac6a6f71fe156ba6d8cb7";

    public async Task InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        _t = new TempStore(environment: new() { ["HF_ENDPOINT"] = _hub.Endpoint });
        _hub.AddFile("owner/repo", "model-Q8_0.gguf", Gguf, Sha);
        _hub.AddFile("owner/repo", "model-Q4_K_M.gguf", Gguf, Sha);
        _hub.AddFile("owner/repo", "model-Q4_K_S.gguf", Gguf, Sha);
        _hub.AddFile("owner/repo", "README.md", "# readme"u8.ToArray(), null);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        _t.Dispose();
    }

    private string[] Downloads() => _hub.Requests.Where(r => r.Path.Contains("/resolve/")).Select(r => r.Path).ToArray();

    [Fact]
    public async Task DefaultQuantizationIsQ4_K_M()
    {
        var progress = new List<PullProgress>();
        var entry = await _t.Store.PullAsync("hf.co/owner/repo", new SyncProgress(progress), CancellationToken.None);
        Assert.Equal("hf.co/owner/repo:latest", entry.Name);
        Assert.Equal(["/owner/repo/resolve/main/model-Q4_K_M.gguf"], Downloads());
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
        Assert.Equal("Q8_0", entry.QuantizationLevel); // read from the file itself
        Assert.Equal("pulling manifest", progress[0].Status);
        Assert.Equal("success", progress[^1].Status);
        var last = progress.Last(p => p.Status == "pulling c773a9eb8883");
        Assert.Equal(Gguf.Length, last.Total);
        Assert.Equal(Gguf.Length, last.Completed);
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
    }

    [Theory]
    [InlineData("q8_0", "model-Q8_0.gguf")]
    [InlineData("Q4_K_S", "model-Q4_K_S.gguf")]
    public async Task QuantizationTagPicksTheFileCaseInsensitively(string tag, string file)
    {
        var entry = await _t.Store.PullAsync($"hf.co/owner/repo:{tag}", null, CancellationToken.None);
        Assert.Equal($"hf.co/owner/repo:{tag}", entry.Name);
        Assert.Equal([$"/owner/repo/resolve/main/{file}"], Downloads());
    }

    [Fact]
    public async Task QuantizationMustMatchAWholeToken()
    {
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("hf.co/owner/repo:Q4_K", null, CancellationToken.None));
        Assert.Equal("hf.co/owner/repo has no single-file GGUF for quantization 'Q4_K' (files: model-Q8_0.gguf, model-Q4_K_M.gguf, model-Q4_K_S.gguf)", e.Message);
        Assert.Empty(_t.Store.List());
    }

    [Fact]
    public async Task MissingRepositoryIsAClearError()
    {
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("hf.co/owner/nothing:Q8_0", null, CancellationToken.None));
        Assert.Equal("model repository hf.co/owner/nothing not found (HTTP 404)", e.Message);
    }

    [Fact]
    public async Task SiblingsApiIsTheFallback()
    {
        _hub.TreeApi = false;
        var entry = await _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None);
        Assert.Equal(["/owner/repo/resolve/main/model-Q8_0.gguf"], Downloads());
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
    }

    [Fact]
    public async Task HfTokenIsSentAsBearer()
    {
        _t.Environment["HF_TOKEN"] = "hf_secret";
        await _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None);
        Assert.NotEmpty(_hub.Requests);
        Assert.All(_hub.Requests, r => Assert.Equal("Bearer hf_secret", r.Authorization));
    }

    [Fact]
    public async Task WithoutHfTokenNoAuthorizationIsSent()
    {
        await _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None);
        Assert.All(_hub.Requests, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task InterruptedDownloadResumesWithRangeAndIfRange()
    {
        _hub.CutNextDownloadAfter = 300_000;
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None));
        Assert.Contains("bytes are kept, pull again to resume", e.Message);
        Assert.Null(_t.Store.Find("hf.co/owner/repo:Q8_0"));
        var partial = Assert.Single(Directory.EnumerateFiles(_t.Store.PartialDir, "*.partial"));
        Assert.Equal($"sha256-{Sha}.partial", Path.GetFileName(partial));
        Assert.True(File.Exists(partial + ".json")); // the validator that makes it resumable
        long have = new FileInfo(partial).Length;
        Assert.InRange(have, 1, 300_000);
        Assert.Empty(Directory.EnumerateFiles(_t.Store.BlobsDir));

        var entry = await _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None);
        var downloads = _hub.Requests.Where(r => r.Path.Contains("/resolve/")).ToArray();
        Assert.Equal(2, downloads.Length);
        Assert.Null(downloads[0].Range);
        Assert.Equal($"bytes={have}-", downloads[1].Range);
        Assert.Equal(FakeHub.ETagOf(Gguf), downloads[1].IfRange);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
    }

    [Fact]
    public async Task ResumeAfterTheRemoteChangedRestartsInsteadOfSplicing()
    {
        // A plain URL (no digest to catch a splice): version 1 breaks off, then the file changes to version 2.
        var v1 = Gguf.ToArray();
        v1[^1] ^= 0x5A; // differs only in the last byte, so a splice would be the first part of v1 + the rest of v2
        _hub.AddFile("files", "m.gguf", v1, null);
        _hub.CutNextDownloadAfter = 200_000;
        await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync($"{_hub.Endpoint}/files/m.gguf", null, CancellationToken.None));
        Assert.Single(Directory.EnumerateFiles(_t.Store.PartialDir, "*.partial"));
        _hub.AddFile("files", "m.gguf", Gguf, null);

        var entry = await _t.Store.PullAsync($"{_hub.Endpoint}/files/m.gguf", null, CancellationToken.None);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath)); // exactly version 2
        var last = _hub.Requests.Last(r => r.Path == "/files/m.gguf");
        Assert.Equal(FakeHub.ETagOf(v1), last.IfRange); // it asked for the rest of v1 only
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
        Assert.Single(Directory.EnumerateFiles(_t.Store.BlobsDir));
    }

    [Fact]
    public async Task InterruptedDownloadWithoutValidatorLeavesNothing()
    {
        _hub.SendsETag = false;
        _hub.AddFile("files", "m.gguf", Gguf, null);
        _hub.CutNextDownloadAfter = 200_000;
        await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync($"{_hub.Endpoint}/files/m.gguf", null, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
        Assert.Empty(Directory.EnumerateFiles(_t.Store.BlobsDir));
    }

    [Fact]
    public async Task TruncatedAndMissingDownloadsLeaveNothing()
    {
        _hub.AddFile("files", "short.gguf", Gguf[..1000], null);
        var invalid = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync($"{_hub.Endpoint}/files/short.gguf", null, CancellationToken.None));
        Assert.StartsWith("not a usable GGUF file", invalid.Message);
        var missing = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync($"{_hub.Endpoint}/files/none.gguf", null, CancellationToken.None));
        Assert.Equal(StoreFailure.NotFound, missing.Kind);
        var refused = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("http://127.0.0.1:1/x.gguf", null, CancellationToken.None));
        Assert.Equal(StoreFailure.Remote, refused.Kind);
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
        Assert.Empty(Directory.EnumerateFiles(_t.Store.BlobsDir));
        Assert.Empty(_t.Store.List());
    }

    [Fact]
    public async Task AFullDiskIsAClearErrorAndTheStoreIsUnchanged()
    {
        if (!File.Exists("/dev/full")) return; // Linux only: writes to /dev/full fail with ENOSPC
        _hub.AddFile("files", "m.gguf", Gguf, null);
        var url = $"{_hub.Endpoint}/files/m.gguf";
        // The partial file for this URL is a link to /dev/full, so the download's first write hits "no space left".
        var name = "url-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(new Uri(url).AbsoluteUri)))[..32] + ".partial";
        File.CreateSymbolicLink(Path.Combine(_t.Store.PartialDir, name), "/dev/full");
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync(url, null, CancellationToken.None));
        Assert.Equal(StoreFailure.DiskFull, e.Kind);
        Assert.StartsWith("not enough disk space for the download", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_t.Store.PartialDir));
        Assert.Empty(Directory.EnumerateFiles(_t.Store.BlobsDir));
        Assert.Empty(_t.Store.List());
    }

    [Fact]
    public async Task ServerIgnoringRangeRestartsFromZero()
    {
        _hub.CutNextDownloadAfter = 100_000;
        _hub.SupportsRange = false;
        await Assert.ThrowsAnyAsync<Exception>(() => _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None));
        var entry = await _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
    }

    [Fact]
    public async Task ChecksumMismatchIsRejectedAndPartialRemoved()
    {
        var wrong = new string('e', 64);
        _hub.AddFile("owner/bad", "bad-Q4_K_M.gguf", Gguf, wrong);
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("hf.co/owner/bad", null, CancellationToken.None));
        Assert.Equal($"bad-Q4_K_M.gguf: sha256 mismatch (expected sha256:{wrong}, got {EmbeddedModel.Digest}); the download was removed", e.Message);
        Assert.Empty(Directory.EnumerateFiles(_t.Store.PartialDir));
        Assert.Empty(Directory.EnumerateFiles(_t.Store.BlobsDir));
        Assert.Empty(_t.Store.List());
    }

    [Fact]
    public async Task PlainUrlIsPulledUnderItsFileName()
    {
        _hub.AddFile("files", "TinyStories-656K-Q8_0.gguf", Gguf, null);
        var entry = await _t.Store.PullAsync($"{_hub.Endpoint}/files/TinyStories-656K-Q8_0.gguf", null, CancellationToken.None);
        Assert.Equal("tinystories-656k-q8_0:latest", entry.Name);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
        Assert.Equal($"{_hub.Endpoint}/files/TinyStories-656K-Q8_0.gguf", _t.Store.GetManifest(entry.Name)!.Source);
    }

    [Fact]
    public async Task UnsupportedNamesAreRejected()
    {
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("a/b/c", null, CancellationToken.None));
        Assert.Equal("cannot pull 'a/b/c:latest': an Ollama registry name is [NAMESPACE/]MODEL[:TAG] (or use hf.co/OWNER/REPO[:QUANT] or an http(s) URL of a .gguf file)", e.Message);
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task NonGgufDownloadIsNotAModel()
    {
        _hub.AddFile("files", "fake.gguf", "not a gguf at all, just text"u8.ToArray(), null);
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync($"{_hub.Endpoint}/files/fake.gguf", null, CancellationToken.None));
        Assert.StartsWith("not a usable GGUF file", e.Message);
        Assert.Empty(_t.Store.List());
    }

    [Fact]
    public async Task ASecondConcurrentPullOfTheSameFileIsRefused()
    {
        var partial = Path.Combine(_t.Store.PartialDir, $"sha256-{Sha}.partial");
        using (new FileStream(partial, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None));
            Assert.Equal("another pull of model-Q8_0.gguf is in progress", e.Message);
        }
        var entry = await _t.Store.PullAsync("hf.co/owner/repo:Q8_0", null, CancellationToken.None);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
    }

    [Fact]
    public async Task ARepositoryWithOneSingleFileGgufNeedsNoTag()
    {
        _hub.AddFile("owner/one", "sub/one-F16.gguf", Gguf, Sha);
        _hub.AddFile("owner/one", "big-Q4_K_M-00001-of-00002.gguf", Gguf, Sha); // split files are skipped
        var entry = await _t.Store.PullAsync("hf.co/owner/one", null, CancellationToken.None);
        Assert.Equal("hf.co/owner/one:latest", entry.Name);
        Assert.Equal(["/owner/one/resolve/main/sub/one-F16.gguf"], Downloads());
    }

    [Fact]
    public async Task InvalidHfEndpointIsReported()
    {
        _t.Environment["HF_ENDPOINT"] = "ftp://example";
        var e = await Assert.ThrowsAsync<ModelStoreException>(() => _t.Store.PullAsync("hf.co/owner/repo", null, CancellationToken.None));
        Assert.Equal("HF_ENDPOINT 'ftp://example' is not an http(s) URL", e.Message);
    }

    /// <summary>Records reports synchronously (Progress&lt;T&gt; posts to the thread pool and may reorder).</summary>
    private sealed class SyncProgress(List<PullProgress> list) : IProgress<PullProgress>
    {
        public void Report(PullProgress value)
        {
            lock (list) list.Add(value);
        }
    }
}
