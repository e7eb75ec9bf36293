using System.Threading.Channels;

namespace Hearth.Engine;

/// <summary>One step's changes to the prefix cache, in the order they happened (apply them in order: a hash may be
/// evicted and stored again within one step).</summary>
public sealed record PrefixCacheBatch(IReadOnlyList<PrefixCacheChange> Changes);

/// <summary>A block hash entering (<paramref name="Stored"/> true) or leaving the prefix cache.</summary>
public readonly record struct PrefixCacheChange(ulong Hash, bool Stored);

/// <summary>The prefix cache's contents as a stream of changes, for routers that send each request where its prefix
/// is cached. The block manager reports entries on the engine's thread; <see cref="Publish"/> (once per engine step)
/// applies them to the current set and hands one batch to each subscriber. A subscriber gets the set at the moment
/// it subscribed, then every batch after it, so snapshot + batches always equals the cache. A subscriber that
/// falls <see cref="SubscriberCapacity"/> batches behind is dropped (its reader completes) rather than slowing the
/// engine; it re-subscribes for a fresh snapshot.</summary>
public sealed class PrefixCacheEvents(int blockSize)
{
    public const int SubscriberCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly HashSet<ulong> _present = [];
    private readonly List<PrefixCacheChange> _pending = []; // engine thread only
    private readonly List<Channel<PrefixCacheBatch>> _subscribers = [];
    private bool _closed;

    /// <summary>Tokens per block: a prefix of n full blocks covers n × BlockSize tokens.</summary>
    public int BlockSize { get; } = blockSize;

    internal void Stored(ulong hash) => _pending.Add(new PrefixCacheChange(hash, true));
    internal void Removed(ulong hash) => _pending.Add(new PrefixCacheChange(hash, false));

    /// <summary>Block hashes in the cache now.</summary>
    public int Count
    {
        get { lock (_lock) return _present.Count; }
    }

    /// <summary>Applies the changes reported since the last call and sends them to subscribers (engine thread).</summary>
    public void Publish()
    {
        if (_pending.Count == 0) return;
        var batch = new PrefixCacheBatch(_pending.ToArray());
        _pending.Clear();
        lock (_lock)
        {
            foreach (var c in batch.Changes)
                if (c.Stored) _present.Add(c.Hash); else _present.Remove(c.Hash);
            for (int i = _subscribers.Count - 1; i >= 0; i--)
            {
                if (_subscribers[i].Writer.TryWrite(batch)) continue;
                _subscribers[i].Writer.TryComplete(new PrefixCacheSubscriberTooSlowException());
                _subscribers.RemoveAt(i);
            }
        }
    }

    /// <summary>Starts a subscription: the current set, then every later batch. Dispose it to stop.</summary>
    public PrefixCacheSubscription Subscribe()
    {
        var channel = Channel.CreateBounded<PrefixCacheBatch>(new BoundedChannelOptions(SubscriberCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the subscriber is dropped, never blocks the engine
        });
        lock (_lock)
        {
            var snapshot = _present.ToArray();
            if (_closed) channel.Writer.TryComplete();
            else _subscribers.Add(channel);
            return new PrefixCacheSubscription(snapshot, channel.Reader, () => Unsubscribe(channel));
        }
    }

    /// <summary>Ends every subscription (the engine stopped; its cache is gone).</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (var s in _subscribers) s.Writer.TryComplete();
            _subscribers.Clear();
            _present.Clear();
        }
    }

    private void Unsubscribe(Channel<PrefixCacheBatch> channel)
    {
        lock (_lock)
        {
            if (_subscribers.Remove(channel)) channel.Writer.TryComplete();
        }
    }
}

/// <summary>The prefix cache's set when subscribed, and the batches after it.</summary>
public sealed class PrefixCacheSubscription(ulong[] snapshot, ChannelReader<PrefixCacheBatch> batches, Action unsubscribe) : IDisposable
{
    public IReadOnlyList<ulong> Snapshot { get; } = snapshot;
    public ChannelReader<PrefixCacheBatch> Batches { get; } = batches;
    public void Dispose() => unsubscribe();
}

/// <summary>Ends a subscription that fell too far behind; the subscriber should re-subscribe for a fresh snapshot.</summary>
public sealed class PrefixCacheSubscriberTooSlowException()
    : Exception($"the subscriber fell {PrefixCacheEvents.SubscriberCapacity} batches behind the prefix cache");
