using System.Collections;

namespace Hearth.Engine;

/// <summary>A sequence's block table in one KV-cache group: block ids in logical order, in an array that grows by
/// appending. The forward pass is handed that array as it is (<see cref="Items"/>, no per-step copy): entries past
/// <see cref="Count"/> are stale, and an entry changes only between steps (copy-on-write while scheduling, before the
/// batch is built; a sliding window's release after the step).</summary>
internal sealed class BlockTable : IReadOnlyList<int>
{
    private int[] _items = [];

    public int Count { get; private set; }

    /// <summary>The backing array (length ≥ <see cref="Count"/>); valid for the current step.</summary>
    public int[] Items => _items;

    public int this[int index]
    {
        get => (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));
        set => _items[(uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index))] = value;
    }

    public void Add(int block)
    {
        if (Count == _items.Length) Array.Resize(ref _items, Math.Max(8, _items.Length * 2));
        _items[Count++] = block;
    }

    public void RemoveLast() => Count = Count > 0 ? Count - 1 : throw new InvalidOperationException("the block table is empty");

    public void Clear() => Count = 0;

    public IEnumerator<int> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return _items[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
