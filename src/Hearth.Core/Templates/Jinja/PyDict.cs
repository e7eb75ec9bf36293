namespace Hearth.Core.Templates.Jinja;

/// <summary>A Python dict: keys compared with Python equality (1 == 1.0 == True), insertion order kept.</summary>
internal sealed class PyDict
{
    private static readonly object NoneKey = new();
    private readonly List<KeyValuePair<object?, object?>> _entries = [];
    private readonly Dictionary<object, int> _index = new(PyKeyComparer.Instance);

    public int Count => _entries.Count;

    public IEnumerable<KeyValuePair<object?, object?>> Entries => _entries;

    public IEnumerable<object?> Keys => _entries.Select(e => e.Key);

    public IEnumerable<object?> Values => _entries.Select(e => e.Value);

    public void Set(object? key, object? value)
    {
        PyOps.CheckHashable(key);
        var k = key ?? NoneKey;
        if (_index.TryGetValue(k, out var i))
            _entries[i] = new(_entries[i].Key, value);
        else
        {
            _index[k] = _entries.Count;
            _entries.Add(new(key, value));
        }
    }

    public bool TryGet(object? key, out object? value)
    {
        if (key is List<object?> or PyDict) { value = null; return false; }
        if (_index.TryGetValue(key ?? NoneKey, out var i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    public bool ContainsKey(object? key) => TryGet(key, out _);

    private sealed class PyKeyComparer : IEqualityComparer<object>
    {
        public static readonly PyKeyComparer Instance = new();

        public new bool Equals(object? x, object? y) =>
            ReferenceEquals(x, y) || (x != NoneKey && y != NoneKey && PyOps.PyEquals(x, y));

        public int GetHashCode(object obj) => obj switch
        {
            bool b => b ? 1 : 0,
            long l => l.GetHashCode(),
            double d => d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
            string s => s.GetHashCode(StringComparison.Ordinal),
            Markup m => m.Value.GetHashCode(StringComparison.Ordinal),
            PyTuple t => t.Items.Count,
            _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
        };
    }
}
