namespace Hearth.Engine.Lora;

/// <summary>The adapters loaded into one base model, by name, least-recently-used first out when more than
/// <see cref="Capacity"/> are loaded (vLLM's <c>--max-loras</c>, llama.cpp keeps all). Evicting or unloading drops the
/// cache's reference only: a request still running with the adapter keeps its weights until it finishes. Thread-safe.</summary>
public sealed class LoraAdapterCache(ILoraModel model, int capacity) : IDisposable
{
    private sealed class Entry(LoraAdapter adapter)
    {
        public LoraAdapter Adapter { get; } = adapter;
        public long LastUsed;
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;
    private bool _disposed;

    /// <summary>Most adapters kept loaded (≥ 1).</summary>
    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "at least one adapter must fit");

    /// <summary>Adapters loaded since start (including reloads after eviction).</summary>
    public long Loads { get; private set; }

    /// <summary>Returns the adapter <paramref name="name"/> from <paramref name="path"/> with a reference taken for the
    /// caller (release it when done), loading it first when it is not loaded (or was loaded from another file).
    /// Throws <see cref="LoraException"/> when the file cannot be used with this model.</summary>
    public LoraAdapter Acquire(string name, string path)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries.TryGetValue(name, out var e))
            {
                if (e.Adapter.Path == path && e.Adapter.TryAcquire())
                {
                    e.LastUsed = ++_clock;
                    return e.Adapter;
                }
                Remove(name);
            }
            // Loading under the lock keeps one load per name; adapters are small next to their base model.
            var adapter = model.LoadAdapter(path, name);
            Loads++;
            while (_entries.Count >= Capacity)
                Remove(_entries.MinBy(p => p.Value.LastUsed).Key);
            _entries[name] = new Entry(adapter) { LastUsed = ++_clock };
            adapter.TryAcquire();
            return adapter;
        }
    }

    /// <summary>Drops the adapter from the cache (false when it was not loaded); running requests keep it until they finish.</summary>
    public bool Unload(string name)
    {
        lock (_lock) return Remove(name);
    }

    /// <summary>The adapters loaded now, most recently used first.</summary>
    public IReadOnlyList<LoraAdapter> Loaded()
    {
        lock (_lock) return _entries.Values.OrderByDescending(e => e.LastUsed).Select(e => e.Adapter).ToList();
    }

    private bool Remove(string name)
    {
        if (!_entries.Remove(name, out var e)) return false;
        e.Adapter.Release();
        return true;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var name in _entries.Keys.ToList()) Remove(name);
        }
    }
}
