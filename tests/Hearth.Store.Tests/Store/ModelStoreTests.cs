using Hearth.Store;

namespace Hearth.Store.Tests.Store;

public class ModelStoreTests
{
    [Fact]
    public void CreateFromGgufFillsEntryFromMetadata()
    {
        using var t = new TempStore();
        var entry = t.AddModel("tiny");
        Assert.Equal("tiny:latest", entry.Name);
        Assert.Equal(Path.Combine(t.Root, "blobs", "sha256-c773a9eb8883751131f30e0c1965c56b1102a4972fdac6a6f71fe156ba6d8cb7"), entry.GgufPath);
        Assert.Equal(TempStore.GgufSize, entry.SizeBytes);
        Assert.Equal("llama", entry.Family);
        Assert.Equal("656K", entry.ParameterSize);
        Assert.Equal("Q8_0", entry.QuantizationLevel);
        Assert.Equal(512, entry.ContextLength);
        Assert.Equal("apache-2.0", entry.License);
        Assert.StartsWith("sha256:", entry.Digest);
        Assert.Equal(BlobDigest.OfFile(Path.Combine(t.Root, "manifests", "tiny", "@latest.json")), entry.Digest);
        Assert.Equal((entry.Name, entry.Digest, entry.ModifiedAt), t.Store.Find("tiny") is { } f ? (f.Name, f.Digest, f.ModifiedAt) : default);
        Assert.Equal(entry.Name, t.Store.Find("tiny:latest")!.Name);
        Assert.Null(t.Store.Find("tiny:other"));
        Assert.Null(t.Store.Find("not a name"));
    }

    [Fact]
    public void ListShowsEveryModelAndNothingBroken()
    {
        using var t = new TempStore();
        t.AddModel("a");
        t.AddModel("hf.co/owner/repo:Q8_0");
        // Leftovers of interrupted writes: a temp manifest, a partial download, a manifest whose blob is gone, garbage JSON.
        File.WriteAllText(Path.Combine(t.Root, "manifests", "a", ".@latest.json.0123.tmp"), "{");
        File.WriteAllBytes(Path.Combine(t.Store.PartialDir, "sha256-" + new string('0', 64) + ".partial"), new byte[10]);
        Directory.CreateDirectory(Path.Combine(t.Root, "manifests", "ghost"));
        File.WriteAllText(Path.Combine(t.Root, "manifests", "ghost", "@latest.json"), $"{{\"gguf\":\"sha256:{new string('1', 64)}\",\"size\":5}}");
        Directory.CreateDirectory(Path.Combine(t.Root, "manifests", "junk"));
        File.WriteAllText(Path.Combine(t.Root, "manifests", "junk", "@latest.json"), "{ not json");

        var names = t.Store.List().Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["a:latest", "hf.co/owner/repo:Q8_0"], names);
        Assert.Null(t.Store.Find("ghost"));
        Assert.Null(t.Store.Find("junk"));
    }

    [Fact]
    public void CopySharesTheBlobAndDeleteCollectsItOnlyWhenUnused()
    {
        using var t = new TempStore();
        var a = t.AddModel("a");
        var b = t.Store.Copy("a", "b:v2");
        Assert.Equal("b:v2", b.Name);
        Assert.Equal(a.GgufPath, b.GgufPath);
        Assert.Equal(a.Digest, b.Digest); // identical manifest bytes

        Assert.True(t.Store.Delete("a"));
        Assert.False(t.Store.Delete("a"));
        Assert.True(File.Exists(a.GgufPath)); // b still uses it
        Assert.False(Directory.Exists(Path.Combine(t.Root, "manifests", "a")));
        Assert.True(t.Store.Delete("b:v2"));
        Assert.False(File.Exists(a.GgufPath));
        Assert.Empty(t.Store.List());
    }

    [Fact]
    public void CopyOfMissingModelThrowsNotFound()
    {
        using var t = new TempStore();
        var e = Assert.Throws<ModelNotFoundException>(() => t.Store.Copy("nope", "other"));
        Assert.Equal("nope:latest", e.Name);
    }

    [Fact]
    public async Task ConcurrentWritersNeverExposeABrokenModel()
    {
        using var t = new TempStore();
        t.AddModel("base");
        var manifest = t.Store.GetManifest("base")!;
        // 8 writers on 8 tasks: each saves its own name and rewrites a shared one 20 times, while a reader lists.
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                t.Store.Save($"own{w}", manifest with { System = $"writer {w} round {i}" });
                t.Store.Save("shared", manifest with { System = $"writer {w} round {i}" });
            }
        })).ToArray();
        var reader = Task.Run(async () =>
        {
            int seen = 0;
            while (!writers.All(w => w.IsCompleted))
            {
                foreach (var e in t.Store.List())
                {
                    Assert.True(File.Exists(e.GgufPath));
                    seen++;
                }
                await Task.Delay(1);
            }
            return seen;
        });
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(await reader > 0);
        Assert.Equal(10, t.Store.List().Count);
        Assert.Matches(@"^writer \d round 9$", t.Store.Find("shared")!.System);
        for (int w = 0; w < 8; w++) Assert.Equal($"writer {w} round 9", t.Store.Find($"own{w}")!.System);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(t.Root, "manifests"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ManifestWritesWaitForTheStoreLock()
    {
        using var t = new TempStore();
        t.AddModel("base");
        var manifest = t.Store.GetManifest("base")!;
        Task save;
        // Another process holding store.lock looks exactly like this: an open handle with FileShare.None.
        using (new FileStream(Path.Combine(t.Root, "store.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            save = Task.Run(() => t.Store.Save("waiting", manifest));
            await Task.Delay(300);
            Assert.False(save.IsCompleted);
            Assert.Null(t.Store.Find("waiting"));
        }
        await save.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(t.Store.Find("waiting"));
    }

    [Fact]
    public void EmbeddedModelRegistersOnceWithVerifiedBlob()
    {
        using var t = new TempStore();
        var entry = EmbeddedModel.EnsureRegistered(t.Store);
        Assert.Equal("tinystories:latest", entry.Name);
        Assert.Equal(EmbeddedModel.Digest, BlobDigest.OfFile(entry.GgufPath));
        Assert.Equal(File.ReadAllBytes(TempStore.Gguf), File.ReadAllBytes(entry.GgufPath));
        var again = EmbeddedModel.EnsureRegistered(t.Store);
        Assert.Equal((entry.Name, entry.Digest, entry.ModifiedAt), (again.Name, again.Digest, again.ModifiedAt));
        Assert.Single(t.Store.List());
    }

    [Fact]
    public void ImportBlobRejectsWrongExpectedDigest()
    {
        using var t = new TempStore();
        var e = Assert.Throws<ModelStoreException>(() => t.Store.ImportBlob(TempStore.Gguf, "sha256:" + new string('a', 64)));
        Assert.Contains("sha256 mismatch", e.Message);
        Assert.Empty(Directory.EnumerateFiles(t.Store.BlobsDir));
    }

    [Fact]
    public void ParameterSizesFormatLikeOllama()
    {
        Assert.Equal("656K", GgufFacts.FormatParameterCount(656_000));
        Assert.Equal("1.24B", GgufFacts.FormatParameterCount(1_235_814_400));
        Assert.Equal("494.03M", GgufFacts.FormatParameterCount(494_032_768));
        Assert.Equal("999", GgufFacts.FormatParameterCount(999));
    }
}
