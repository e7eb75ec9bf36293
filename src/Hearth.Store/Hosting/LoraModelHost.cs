using Hearth.Engine.Lora;

namespace Hearth.Store.Hosting;

/// <summary>Serves LoRA adapters as model names in front of another <see cref="IModelHost"/>: a registered adapter
/// name (or <c>BASE+ADAPTER</c>) acquires its base model, loads the adapter into that model's
/// <see cref="LoadedModel.Adapters"/> if needed, and hands out the base model under the adapter's name with
/// <see cref="LoadedModel.Lora"/> set. The lease holds a reference on the adapter, so unloading it never frees
/// weights under a request. Every other name goes to the inner host unchanged.</summary>
public sealed class LoraModelHost(IModelHost inner, LoraRegistry registry, bool ownsInner = true) : IModelHost
{
    public LoraRegistry Registry { get; } = registry;

    public IModelHost Inner => inner;

    public string DefaultModelName => inner.DefaultModelName;

    public Task<ModelLease> AcquireAsync(string? name, TimeSpan? keepAlive, CancellationToken cancellationToken) =>
        name is not null && Resolve(name) is var (spec, baseName)
            ? AcquireAdapterAsync(name, spec, baseName, keepAlive, cancellationToken)
            : inner.AcquireAsync(name, keepAlive, cancellationToken);

    /// <summary>An adapter name → its spec and the base model to run it on; null for any other name.</summary>
    private (LoraSpec Spec, string Base)? Resolve(string name)
    {
        if (Registry.Find(name) is { } spec) return (spec, spec.BaseModel ?? DefaultModelName);
        int plus = name.LastIndexOf('+');
        if (plus > 0 && plus < name.Length - 1 && Registry.Find(name[(plus + 1)..]) is { } named) return (named, name[..plus]);
        return null;
    }

    private async Task<ModelLease> AcquireAdapterAsync(string name, LoraSpec spec, string baseName, TimeSpan? keepAlive, CancellationToken cancellationToken)
    {
        var lease = await inner.AcquireAsync(baseName, keepAlive, cancellationToken);
        try
        {
            var cache = lease.Model.Adapters
                ?? throw new LoraException($"model '{lease.Model.Name}' cannot run LoRA adapters (adapter '{spec.Name}')");
            var adapter = cache.Acquire(spec.Name, spec.Path);
            var view = lease.Model with { Name = name, Lora = LoraSelection.Of(adapter, spec.Scale), BaseModelName = lease.Model.Name };
            return new ModelLease(view, () =>
            {
                adapter.Release();
                lease.Dispose();
            });
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Registers an adapter name and loads it into its base model now (so a bad file is an error here, not
    /// at the first request). False when the name is taken; <see cref="LoraException"/> (name not kept) when the
    /// file cannot be used with the base model.</summary>
    public async Task<bool> LoadAdapterAsync(LoraSpec spec, CancellationToken cancellationToken)
    {
        if (!Registry.TryAdd(spec)) return false;
        try
        {
            using var lease = await AcquireAsync(spec.Name, null, cancellationToken);
            return true;
        }
        catch
        {
            Registry.Remove(spec.Name);
            throw;
        }
    }

    /// <summary>Forgets an adapter name and unloads its weights from the base model once no request uses them; false
    /// when the name is not registered.</summary>
    public bool UnloadAdapter(string name)
    {
        var spec = Registry.Find(name);
        if (spec is null || !Registry.Remove(name)) return false;
        // Its weights may be in several base models (BASE+ADAPTER names): drop them from each loaded one.
        foreach (var m in inner.Loaded()) inner.FindLoaded(m.Name)?.Adapters?.Unload(spec.Name);
        return true;
    }

    public IReadOnlyList<LoadedModelStatus> Loaded() => inner.Loaded();

    /// <summary>An adapter name (a served adapter, <c>BASE+ADAPTER</c>) finds its base model when that is loaded, named
    /// as asked but without the adapter (no reference is taken on it): what an observer of the engine, such as the
    /// prefix-cache event stream a router follows for the adapter's name, needs.</summary>
    public LoadedModel? FindLoaded(string? name) =>
        name is not null && Resolve(name) is var (_, baseName) && inner.FindLoaded(baseName) is { } loaded
            ? loaded with { Name = name, BaseModelName = loaded.Name }
            : inner.FindLoaded(name);

    public Task<bool> UnloadAsync(string name) => inner.UnloadAsync(name);

    public ValueTask DisposeAsync() => ownsInner ? inner.DisposeAsync() : ValueTask.CompletedTask;
}
