namespace Hearth.Router.KvRouting;

/// <summary>What the router knows of one replica's prefix cache for one model: the block hashes it holds (from the
/// replica's <c>/v1/kv_events</c> stream) and its last reported load. Written by that stream's reader, read by
/// routing decisions; a lock keeps the two apart (updates are small and rare next to the work they describe).</summary>
public sealed class ReplicaPrefixIndex
{
    /// <summary>An index with no event for this long is treated as missing (load events arrive about once a second).</summary>
    public const long StaleAfterMs = 5000;

    private readonly Lock _lock = new();
    private readonly HashSet<ulong> _hashes = [];
    private bool _synced;
    private long _lastEventMs = long.MinValue / 2;

    public int BlockSize { get; private set; }
    public int Running { get; private set; }
    public int Waiting { get; private set; }
    public double KvUsage { get; private set; }

    public int Count
    {
        get { lock (_lock) return _hashes.Count; }
    }

    /// <summary>Synced (a snapshot was applied and the stream is live) and heard from recently.</summary>
    public bool IsLive(long nowMs)
    {
        lock (_lock) return _synced && nowMs - _lastEventMs < StaleAfterMs;
    }

    public void ApplySnapshot(int blockSize, IEnumerable<ulong> hashes, long nowMs)
    {
        lock (_lock)
        {
            _hashes.Clear();
            _hashes.UnionWith(hashes);
            BlockSize = blockSize;
            _synced = true;
            _lastEventMs = nowMs;
        }
    }

    public void ApplyUpdate(IEnumerable<ulong> stored, IEnumerable<ulong> removed, long nowMs)
    {
        lock (_lock)
        {
            if (!_synced) return; // an update without its snapshot cannot be trusted
            foreach (var h in removed) _hashes.Remove(h);
            _hashes.UnionWith(stored);
            _lastEventMs = nowMs;
        }
    }

    public void ApplyLoad(int running, int waiting, double kvUsage, long nowMs)
    {
        lock (_lock)
        {
            Running = running;
            Waiting = waiting;
            KvUsage = kvUsage;
            _lastEventMs = nowMs;
        }
    }

    /// <summary>Forgets everything: the stream ended, the cache was reset, or the model was unloaded.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _hashes.Clear();
            _synced = false;
            Running = Waiting = 0;
            KvUsage = 0;
        }
    }

    /// <summary>How many of the prompt's leading blocks this replica holds (the chain stops at the first miss:
    /// a block is only reusable after its parent).</summary>
    public int MatchedBlocks(IReadOnlyList<ulong> promptHashes)
    {
        lock (_lock)
        {
            var n = 0;
            while (n < promptHashes.Count && _hashes.Contains(promptHashes[n])) n++;
            return n;
        }
    }
}
