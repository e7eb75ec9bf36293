using Hearth.Engine;

namespace Hearth.Store.Hosting;

/// <summary>An <see cref="IModelHost"/> over models loaded at start-up (`hearth serve --model FILE`, tests): they
/// stay loaded for the server's lifetime, keep-alive is ignored and unloading is refused. The first model is the
/// default. Names match exactly or with the ":latest" tag added or removed.</summary>
public sealed class StaticModelHost : IModelHost
{
    private readonly IReadOnlyList<LoadedModel> _models;
    private readonly Dictionary<string, long> _sizes;
    private readonly int[] _active;

    /// <param name="models">The loaded models; the first is the default.</param>
    /// <param name="sizes">Optional size in bytes per model name (for /api/ps).</param>
    public StaticModelHost(IReadOnlyList<LoadedModel> models, IReadOnlyDictionary<string, long>? sizes = null)
    {
        if (models.Count == 0) throw new ArgumentException("at least one model is required", nameof(models));
        _models = models;
        _sizes = sizes?.ToDictionary() ?? [];
        _active = new int[models.Count];
    }

    public string DefaultModelName => _models[0].Name;

    private int IndexOf(string? name)
    {
        if (string.IsNullOrEmpty(name)) return 0;
        for (var i = 0; i < _models.Count; i++)
            if (Same(_models[i].Name, name)) return i;
        return -1;
    }

    private static string WithTag(string n) => n.Contains(':') ? n : n + ":latest";
    private static bool Same(string a, string b) => string.Equals(WithTag(a), WithTag(b), StringComparison.OrdinalIgnoreCase);

    public Task<ModelLease> AcquireAsync(string? name, TimeSpan? keepAlive, CancellationToken cancellationToken)
    {
        var i = IndexOf(name);
        if (i < 0) throw new ModelNotFoundException(name!);
        Interlocked.Increment(ref _active[i]);
        return Task.FromResult(new ModelLease(_models[i], () => Interlocked.Decrement(ref _active[i])));
    }

    public LoadedModel? FindLoaded(string? name) => IndexOf(name) is var i and >= 0 ? _models[i] : null;

    public IReadOnlyList<LoadedModelStatus> Loaded() =>
        _models.Select((m, i) => new LoadedModelStatus(m.Name, _sizes.GetValueOrDefault(m.Name), DateTimeOffset.MaxValue, Volatile.Read(ref _active[i]))).ToList();

    /// <summary>Start-up models are pinned: false for them, <see cref="ModelNotFoundException"/> for other names.</summary>
    public Task<bool> UnloadAsync(string name) => IndexOf(name) >= 0 && name.Length > 0 ? Task.FromResult(false) : throw new ModelNotFoundException(name);

    public async ValueTask DisposeAsync()
    {
        foreach (var m in _models) await m.Engine.DisposeAsync();
    }
}
