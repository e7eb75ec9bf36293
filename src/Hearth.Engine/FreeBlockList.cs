namespace Hearth.Engine;

/// <summary>The KV blocks with no owner, as an intrusive doubly linked list over block ids: the head is reused
/// first. O(1) push at either end, pop, and removal of any block (a prefix-cache hit revives a free block).</summary>
internal sealed class FreeBlockList
{
    private const int None = -1;
    private readonly int[] _prev;
    private readonly int[] _next;
    private readonly bool[] _listed;
    private int _head = None, _tail = None;

    public FreeBlockList(int capacity)
    {
        _prev = new int[capacity];
        _next = new int[capacity];
        _listed = new bool[capacity];
    }

    public int Count { get; private set; }

    public bool Contains(int block) => _listed[block];

    /// <summary>Adds a block that should be reused soon (it holds nothing worth keeping).</summary>
    public void PushFront(int block)
    {
        Link(block, None, _head);
        if (_head != None) _prev[_head] = block;
        _head = block;
        if (_tail == None) _tail = block;
    }

    /// <summary>Adds a block that should be reused last (most recently used cache entry).</summary>
    public void PushBack(int block)
    {
        Link(block, _tail, None);
        if (_tail != None) _next[_tail] = block;
        _tail = block;
        if (_head == None) _head = block;
    }

    public int PopFront()
    {
        if (_head == None) throw new InvalidOperationException("no free KV block");
        int block = _head;
        Remove(block);
        return block;
    }

    public void Remove(int block)
    {
        if (!_listed[block]) throw new InvalidOperationException($"block {block} is not free");
        int p = _prev[block], n = _next[block];
        if (p != None) _next[p] = n; else _head = n;
        if (n != None) _prev[n] = p; else _tail = p;
        _listed[block] = false;
        Count--;
    }

    private void Link(int block, int prev, int next)
    {
        if (_listed[block]) throw new InvalidOperationException($"block {block} is already free");
        _prev[block] = prev;
        _next[block] = next;
        _listed[block] = true;
        Count++;
    }
}
