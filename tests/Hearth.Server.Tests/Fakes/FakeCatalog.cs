using System.Collections.Concurrent;
using Hearth.Engine;
using Hearth.Store;

namespace Hearth.Server.Tests.Fakes;

/// <summary>An in-memory model store. Pulling "missing" fails after the manifest step; other names succeed.</summary>
public sealed class FakeCatalog : IModelCatalog
{
    private readonly ConcurrentDictionary<string, ModelEntry> _entries = new();

    public static string Full(string name) => name.Contains(':') ? name : name + ":latest";

    public static ModelEntry Entry(string name) => new(Full(name), "sha256:" + new string('a', 64), "/models/" + name + ".gguf", 1234, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero))
    {
        Family = "llama", ParameterSize = "656K", QuantizationLevel = "Q8_0", ContextLength = 128,
        Parameters = new Dictionary<string, string> { ["temperature"] = "0.5", ["stop"] = "<|end|>\n<|user|>" },
        System = "Be brief.",
    };

    public FakeCatalog(params string[] names)
    {
        foreach (var n in names) _entries[Full(n)] = Entry(n);
    }

    public IReadOnlyList<ModelEntry> List() => _entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    public ModelEntry? Find(string name) => _entries.GetValueOrDefault(Full(name));

    public async Task<ModelEntry> PullAsync(string name, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        progress?.Report(new PullProgress("pulling manifest"));
        await Task.Yield();
        if (name.StartsWith("missing", StringComparison.Ordinal)) throw new ModelNotFoundException(name);
        var digest = "sha256:" + new string('b', 64);
        progress?.Report(new PullProgress("pulling " + digest[7..19], digest, 1000, 0));
        progress?.Report(new PullProgress("pulling " + digest[7..19], digest, 1000, 1000));
        progress?.Report(new PullProgress("verifying sha256 digest"));
        progress?.Report(new PullProgress("writing manifest"));
        return _entries[Full(name)] = Entry(name);
    }

    public bool Delete(string name) => _entries.TryRemove(Full(name), out _);

    public ModelEntry Copy(string source, string destination)
    {
        // A bug stand-in: an exception no mapping knows, whose message must never reach the client.
        if (source == "bug") throw new InvalidOperationException("secret internal state at /srv/hearth");
        var e = Find(source) ?? throw new ModelNotFoundException(source);
        return _entries[Full(destination)] = e with { Name = Full(destination) };
    }
}
