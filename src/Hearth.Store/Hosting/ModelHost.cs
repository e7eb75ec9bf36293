using Hearth.Store;

namespace Hearth.Store.Hosting;

/// <summary>Loads models on first request through an injected loader, keeps each for its keep-alive after the last
/// request, and unloads least-recently-used idle models when the count or memory budget would be exceeded. A model
/// with leases outstanding is never unloaded; concurrent requests for a loading model share the one load.</summary>
public sealed class ModelHost : IModelHost
{
    private readonly IModelCatalog _catalog;
    private readonly Func<ModelEntry, CancellationToken, Task<LoadedModel>> _loader;
    private readonly ModelHostOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    // Completed (and replaced) whenever a slot goes away, so requests waiting for room re-check.
    private TaskCompletionSource _roomChanged = NewSignal();
    private bool _disposed;

    public ModelHost(IModelCatalog catalog, Func<ModelEntry, CancellationToken, Task<LoadedModel>> loader, ModelHostOptions? options = null)
    {
        _catalog = catalog;
        _loader = loader;
        _options = options ?? new ModelHostOptions();
        _time = _options.TimeProvider;
        if (_options.MaxLoadedModels < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxLoadedModels must be ≥ 0");
        if (_options.MemoryBudgetBytes < 0) throw new ArgumentOutOfRangeException(nameof(options), "MemoryBudgetBytes must be ≥ 0");
    }

    public string DefaultModelName => _options.DefaultModelName;

    /// <summary>How many loads the loader has been asked for (for tests and metrics).</summary>
    public int LoadCount => Volatile.Read(ref _loadCount);
    private int _loadCount;

    public async Task<ModelLease> AcquireAsync(string? name, TimeSpan? keepAlive, CancellationToken cancellationToken)
    {
        var requested = string.IsNullOrWhiteSpace(name) ? DefaultModelName : name;
        var entry = _catalog.Find(requested) ?? EmbeddedOnFirstUse(requested) ?? throw new ModelNotFoundException(requested);
        var slot = await ReserveAsync(entry, keepAlive ?? _options.DefaultKeepAlive, cancellationToken);
        try
        {
            var model = await slot.Load.WaitAsync(cancellationToken);
            return new ModelLease(model, () => Release(slot));
        }
        catch (Exception)
        {
            // A failed load leaves no slot behind, so the next request tries again.
            if (slot.Load.IsFaulted || slot.Load.IsCanceled)
            {
                lock (_lock)
                    if (_slots.TryGetValue(slot.Name, out var s) && s == slot) _slots.Remove(slot.Name);
                Signal();
            }
            Release(slot);
            throw;
        }
    }

    /// <summary>The embedded default model is registered in the store the first time it is asked for.</summary>
    private ModelEntry? EmbeddedOnFirstUse(string name) =>
        _catalog is ModelStore store && ModelName.TryParse(name, out var parsed, out _) && parsed == EmbeddedModel.Name
            ? EmbeddedModel.EnsureRegistered(store) : null;

    /// <summary>Takes a lease on the model's slot, creating it (and starting its load after evicting idle models)
    /// when absent. Waits while every loaded model is busy and there is no room.</summary>
    private async Task<Slot> ReserveAsync(ModelEntry entry, TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_slots.TryGetValue(entry.Name, out var existing))
                {
                    existing.Leases++;
                    existing.KeepAlive = keepAlive;
                    existing.Timer?.Dispose();
                    existing.Timer = null;
                    return existing;
                }
                if (TryMakeRoom(entry.SizeBytes, out var victims))
                {
                    var disposals = victims.Select(RemoveAndDispose).ToArray();
                    var slot = new Slot(entry.Name, entry.SizeBytes) { Leases = 1, KeepAlive = keepAlive, LastUsed = _time.GetUtcNow() };
                    slot.Load = LoadAfterAsync(disposals, entry);
                    _slots[entry.Name] = slot;
                    return slot;
                }
                wait = _roomChanged.Task;
            }
            await wait.WaitAsync(cancellationToken);
        }
    }

    private async Task<LoadedModel> LoadAfterAsync(Task[] disposals, ModelEntry entry)
    {
        // Free the evicted models' memory before the new one takes its own.
        await Task.WhenAll(disposals);
        Interlocked.Increment(ref _loadCount);
        return await _loader(entry, _shutdown.Token);
    }

    /// <summary>Chooses idle models to evict (least recently used first) so one more model of <paramref name="size"/>
    /// fits. False when that is impossible because the models in the way are busy or still loading.</summary>
    private bool TryMakeRoom(long size, out List<Slot> victims)
    {
        victims = [];
        int count = _slots.Count;
        long memory = _slots.Values.Sum(s => s.SizeBytes);
        bool Fits() => count == 0
            || ((_options.MaxLoadedModels == 0 || count + 1 <= _options.MaxLoadedModels)
                && (_options.MemoryBudgetBytes == 0 || memory + size <= _options.MemoryBudgetBytes));
        foreach (var idle in _slots.Values.Where(s => s.Leases == 0 && s.Load.IsCompletedSuccessfully).OrderBy(s => s.LastUsed))
        {
            if (Fits()) break;
            victims.Add(idle);
            count--;
            memory -= idle.SizeBytes;
        }
        if (Fits()) return true;
        victims.Clear();
        return false;
    }

    private void Release(Slot slot)
    {
        Slot? unload = null;
        lock (_lock)
        {
            slot.Leases--;
            slot.LastUsed = _time.GetUtcNow();
            if (slot.Leases > 0 || !_slots.TryGetValue(slot.Name, out var current) || current != slot) return;
            if (slot.KeepAlive == TimeSpan.Zero || _disposed) unload = slot;
            else if (slot.KeepAlive > TimeSpan.Zero)
                slot.Timer = _time.CreateTimer(_ => Expire(slot), null, slot.KeepAlive, Timeout.InfiniteTimeSpan);
            // Negative keep-alive: stays until evicted or stopped.
        }
        if (unload != null) _ = RemoveAndDisposeLocked(unload);
        Signal();
    }

    private void Expire(Slot slot)
    {
        lock (_lock)
        {
            if (slot.Leases > 0 || !_slots.TryGetValue(slot.Name, out var current) || current != slot) return;
            // A timer can fire a little before the wall clock says the keep-alive is over (they are different
            // clocks): wait out the rest instead of dropping the expiry, which left the model loaded forever.
            var remaining = slot.LastUsed + slot.KeepAlive - _time.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                slot.Timer?.Dispose();
                slot.Timer = _time.CreateTimer(_ => Expire(slot), null, remaining, Timeout.InfiniteTimeSpan);
                return;
            }
        }
        _ = RemoveAndDisposeLocked(slot);
    }

    private Task RemoveAndDisposeLocked(Slot slot)
    {
        lock (_lock)
        {
            if (!_slots.TryGetValue(slot.Name, out var current) || current != slot || slot.Leases > 0) return Task.CompletedTask;
            return RemoveAndDispose(slot);
        }
    }

    /// <summary>Removes a slot (caller holds the lock) and disposes its engine in the background.</summary>
    private Task RemoveAndDispose(Slot slot)
    {
        _slots.Remove(slot.Name);
        slot.Timer?.Dispose();
        slot.Timer = null;
        var done = DisposeModelAsync(slot);
        Signal();
        return done;
    }

    /// <summary>Disposes the slot's engine, waiting for a load still in flight (a request that gave up while its
    /// model loaded can leave such a slot idle); a failed load has nothing to dispose.</summary>
    private static async Task DisposeModelAsync(Slot slot)
    {
        LoadedModel model;
        try
        {
            model = await slot.Load;
        }
        catch (Exception) when (slot.Load.IsFaulted || slot.Load.IsCanceled)
        {
            return;
        }
        await model.Engine.DisposeAsync();
    }

    private void Signal()
    {
        TaskCompletionSource old;
        lock (_lock)
        {
            old = _roomChanged;
            _roomChanged = NewSignal();
        }
        old.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LoadedModel? FindLoaded(string? name)
    {
        var requested = string.IsNullOrWhiteSpace(name) ? DefaultModelName : name;
        var entryName = _catalog.Find(requested)?.Name ?? requested;
        lock (_lock)
            return _slots.TryGetValue(entryName, out var slot) && slot.Load.IsCompletedSuccessfully ? slot.Load.Result : null;
    }

    public IReadOnlyList<LoadedModelStatus> Loaded()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            return _slots.Values.Where(s => s.Load.IsCompletedSuccessfully)
                .Select(s => new LoadedModelStatus(s.Name, s.SizeBytes, ExpiresAt(s, now), s.Leases))
                .OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        }
    }

    private static DateTimeOffset ExpiresAt(Slot s, DateTimeOffset now) =>
        s.KeepAlive < TimeSpan.Zero ? DateTimeOffset.MaxValue
        : (s.Leases > 0 ? now : s.LastUsed) + s.KeepAlive;

    public async Task<bool> UnloadAsync(string name)
    {
        var entryName = _catalog.Find(name)?.Name ?? name;
        Task? disposal = null;
        lock (_lock)
        {
            if (!_slots.TryGetValue(entryName, out var slot))
                return _catalog.Find(name) is not null ? false : throw new ModelNotFoundException(name);
            if (slot.Leases > 0) slot.KeepAlive = TimeSpan.Zero; // unload as soon as the running requests finish
            else disposal = RemoveAndDispose(slot);
        }
        if (disposal != null) await disposal;
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        List<Slot> all;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            all = [.. _slots.Values];
            _slots.Clear();
        }
        await _shutdown.CancelAsync();
        foreach (var slot in all)
        {
            slot.Timer?.Dispose();
            await DisposeModelAsync(slot);
        }
        _shutdown.Dispose();
    }

    private sealed class Slot(string name, long sizeBytes)
    {
        public string Name { get; } = name;
        public long SizeBytes { get; } = sizeBytes;
        public Task<LoadedModel> Load { get; set; } = null!;
        public int Leases { get; set; }
        public TimeSpan KeepAlive { get; set; }
        public DateTimeOffset LastUsed { get; set; }
        public ITimer? Timer { get; set; }
    }
}
