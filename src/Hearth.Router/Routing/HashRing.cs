namespace Hearth.Router.Routing;

/// <summary>A consistent-hash ring with virtual nodes: each member owns many points, a key maps to the first
/// point clockwise from its hash, and walking on from there gives the fail-over order.</summary>
public sealed class HashRing<T>
{
    private readonly ulong[] _points;
    private readonly T[] _owners;
    private readonly int _members;

    public HashRing(IReadOnlyList<(string Id, T Member)> members, int virtualNodes = 160)
    {
        var points = new List<(ulong Hash, T Owner)>(members.Count * virtualNodes);
        foreach (var (id, member) in members)
            for (var v = 0; v < virtualNodes; v++)
                points.Add((Hash($"{id}#{v}"), member));
        points.Sort((a, b) => a.Hash.CompareTo(b.Hash));
        _points = points.Select(p => p.Hash).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
        _members = members.Count;
    }

    /// <summary>Distinct members in ring order starting at the key's point (first = preferred owner).</summary>
    public IEnumerable<T> Walk(ReadOnlySpan<char> key)
    {
        if (_points.Length == 0) return [];
        var h = Hash(key);
        var i = Array.BinarySearch(_points, h);
        if (i < 0) i = ~i;
        return WalkFrom(i % _points.Length);
    }

    private IEnumerable<T> WalkFrom(int start)
    {
        var seen = new HashSet<T>();
        for (var k = 0; k < _points.Length && seen.Count < _members; k++)
        {
            var owner = _owners[(start + k) % _points.Length];
            if (seen.Add(owner)) yield return owner;
        }
    }

    /// <summary>FNV-1a 64 over UTF-16 code units with a final avalanche (splitmix64), stable across runs.</summary>
    public static ulong Hash(ReadOnlySpan<char> s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        h ^= h >> 30; h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27; h *= 0x94d049bb133111ebUL;
        return h ^ (h >> 31);
    }
}
